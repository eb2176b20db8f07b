package org.layered.cli;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layered.engine.Cancellation;
import org.layered.export.OutputFolder;
import org.layered.export.PngLayerWriter;
import org.layered.export.PngStackWriter;
import org.layered.image.RgbaImage;
import org.layered.layers.LayerStack;
import org.layered.testing.TinyModel;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code layered decompose} with inputs and outputs that go wrong: every case stops with its cause named, before
 * any computing when the cause is known then, and leaves no partial output.
 */
class DecomposeInputOutputTest {
    @TempDir
    Path dir;

    private Path image() throws Exception {
        Path p = dir.resolve("in.png");
        if (!Files.exists(p)) {
            PngLayerWriter.write(TinyModel.image(40, 30), p);
        }
        return p;
    }

    private static List<String> names(Path folder) throws Exception {
        try (Stream<Path> s = Files.list(folder)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static void assertStoppedBeforeComputing(CliRun r, int code, String message) {
        assertEquals(code, r.code(), r.err());
        assertTrue(r.err().contains(message), r.err());
        assertFalse(r.err().contains("[layered] step"), "nothing computed: " + r.err());
        assertEquals(1, r.err().strip().lines().filter(l -> !l.startsWith("[layered]")).count(), r.err());
    }

    @Test
    void anOutputThatCannotTakeTheResultIsRefusedBeforeComputing() throws Exception {
        Path file = Files.writeString(dir.resolve("taken"), "x");
        assertStoppedBeforeComputing(CliRun.of(CliFixtures.decompose(image(), file)), 1,
                "layered decompose: " + file + " exists as a file; the output must be a folder");
        assertStoppedBeforeComputing(CliRun.of(CliFixtures.decompose(image(), file.resolve("out"))), 1,
                "cannot create " + file + ": a part of the path is a file, not a folder");

        Path mine = Files.createDirectories(dir.resolve("mine"));
        Files.writeString(mine.resolve("thesis.tex"), "months of work");
        assertStoppedBeforeComputing(CliRun.of(CliFixtures.decompose(image(), mine)), 1,
                mine + " holds files that are not part of a previous Layered result (thesis.tex); nothing was "
                        + "changed");
        assertEquals("months of work", Files.readString(mine.resolve("thesis.tex")));

        // sysfs lets nobody create anything, root included
        CliRun r = CliRun.of(CliFixtures.decompose(image(), Path.of("/sys/layered-test-out")));
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("cannot write in /sys (results are staged beside the output folder): "
                + "permission denied") || r.err().contains("read-only file system"), r.err());

        Path out = dir.resolve("busy");
        try (OutputFolder other = OutputFolder.claim(out, 0)) {
            assertStoppedBeforeComputing(CliRun.of(CliFixtures.decompose(image(), out)), 1,
                    "another Layered run is writing " + out);
        }
        assertEquals(List.of("in.png", "mine", "taken"), names(dir));
    }

    @Test
    void argumentsNameWhatIsWrongWithThem() throws Exception {
        Path out = dir.resolve("out");
        assertStoppedBeforeComputing(CliRun.of(CliFixtures.decompose(image(), out, "--seed", "12345678901234567890")),
                2, "--seed is out of range: it must be between 0 and 9223372036854775807, got 12345678901234567890");
        assertStoppedBeforeComputing(CliRun.of(CliFixtures.decompose(image(), out, "--layers", "99999999999999999999")),
                2, "--layers is out of range: it must be between 1 and ");
        assertStoppedBeforeComputing(CliRun.of(CliFixtures.decompose(image(), out, "--layers", "ten")), 2,
                "--layers must be a whole number, got 'ten'");
        assertStoppedBeforeComputing(CliRun.of("decompose", "--model", CliFixtures.root().resolve("model").toString(),
                "--image", image().toString(), "--out", out.toString(), "--cfg", "strong"), 2,
                "--cfg must be a number, got 'strong'");
        assertStoppedBeforeComputing(CliRun.of(CliFixtures.decompose(dir, out)), 1,
                "layered decompose: " + dir + " is a folder, not an image file");
        Path text = Files.writeString(dir.resolve("notes.png"), "not an image");
        assertStoppedBeforeComputing(CliRun.of(CliFixtures.decompose(text, out)), 1,
                "layered decompose: " + text + ": not an image Layered can read (PNG, JPEG, GIF, BMP, TIFF, PGM/PPM)");
        byte[] png = Files.readAllBytes(image());
        Path cut = Files.write(dir.resolve("cut.png"), java.util.Arrays.copyOf(png, png.length - 100));
        assertStoppedBeforeComputing(CliRun.of(CliFixtures.decompose(cut, out)), 1,
                "layered decompose: " + cut + ": cannot read the image: ");
        assertStoppedBeforeComputing(CliRun.of(CliFixtures.decompose(image(), out, "--frame", "2")), 2,
                "layered decompose: --frame: in.png has 1 frame; there is no frame 2");
        assertFalse(Files.exists(out));
    }

    /**
     * One real run: a frame of a multi-page file, read as Pillow would (the manifest says how), replacing a previous
     * result of more layers as a whole, with nothing left beside the folder.
     */
    @Test
    void aFrameIsReadAsPillowWouldAndReplacesThePreviousResultAsAWhole() throws Exception {
        // page 2 is 16-bit grey: 6000 everywhere, which Pillow would clip to 255 and Layered scales to 23
        Path tif = dir.resolve("pages.tif");
        ImageWriter w = ImageIO.getImageWritersByFormatName("tiff").next();
        try (ImageOutputStream o = ImageIO.createImageOutputStream(tif.toFile())) {
            w.setOutput(o);
            w.prepareWriteSequence(null);
            w.writeToSequence(new IIOImage(new BufferedImage(40, 30, BufferedImage.TYPE_3BYTE_BGR), null, null), null);
            BufferedImage grey = new BufferedImage(40, 30, BufferedImage.TYPE_USHORT_GRAY);
            for (int y = 0; y < 30; y++) {
                for (int x = 0; x < 40; x++) {
                    grey.getRaster().setSample(x, y, 0, 6000);
                }
            }
            w.writeToSequence(new IIOImage(grey, null, null), null);
            w.endWriteSequence();
        } finally {
            w.dispose();
        }
        Path out = dir.resolve("out");
        try (OutputFolder previous = OutputFolder.claim(out, 0)) {
            RgbaImage layer = TinyModel.image(8, 8);
            JsonObject m = new JsonObject();
            m.addProperty("generator", "Layered (Qwen-Image-Layered)");
            previous.write(LayerStack.of(List.of(layer, layer, layer), layer), List.of(new PngStackWriter()), m,
                    new Cancellation());
        }
        assertTrue(Files.exists(out.resolve("layer-3.png")));
        CliRun r = CliRun.of(CliFixtures.decompose(tif, out, "--frame", "2", "--layers", "1"));
        assertEquals(0, r.code(), r.err());
        assertEquals(List.of("composite.png", "layer-1.png", "manifest.json"), names(out), "no stale layer-2/3.png");
        assertEquals(List.of("out", "pages.tif"), names(dir), "no staging folder, lock or .part file");
        assertTrue(r.err().contains("[layered] pages.tif: frame 2 of 2"), r.err());
        assertTrue(r.err().contains("[layered] pages.tif: 16-bit grey scaled to 8 bits (value / 256); Pillow would "
                + "clip values above 255"), r.err());
        JsonObject m = JsonParser.parseString(Files.readString(out.resolve("manifest.json"))).getAsJsonObject();
        assertEquals(tif.toAbsolutePath() + " frame 2 of 2, 40x30, tif", m.get("source").getAsString());
        assertEquals("frame 2 of 2; 16-bit grey scaled to 8 bits (value / 256); Pillow would clip values above 255",
                m.get("conversion").getAsString());
    }
}
