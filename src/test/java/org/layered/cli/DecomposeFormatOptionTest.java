package org.layered.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** {@code layered decompose --format}: checked against the exporter registry before anything is loaded. */
class DecomposeFormatOptionTest {
    @TempDir
    Path dir;

    @Test
    void unknownFormatIsAUsageErrorNamingTheFormats() throws Exception {
        Path model = Files.createDirectories(dir.resolve("model"));
        Path image = Files.writeString(dir.resolve("in.png"), "not read: the format is checked first");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = new LayeredMain().run(new String[] {"decompose", "--model", model.toString(),
                        "--image", image.toString(), "--out", dir.resolve("out").toString(),
                        "--format", "png,bmp"},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        String e = err.toString(StandardCharsets.UTF_8);
        assertEquals(2, code, e);
        assertTrue(e.contains("unknown layer export format 'bmp'; available formats: png, ora, psd, tiff"), e);
        assertFalse(Files.exists(dir.resolve("out")), "nothing is created for a usage error");
    }
}
