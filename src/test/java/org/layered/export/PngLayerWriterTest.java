package org.layered.export;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layered.image.RgbaImage;
import org.layered.image.TestPattern;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** Layer PNGs: written whole or not at all, failures naming the file and the cause. */
class PngLayerWriterTest {
    @TempDir
    Path dir;

    @Test
    void roundTripsExactly() throws Exception {
        RgbaImage img = TestPattern.rgba(33, 17);
        Path f = dir.resolve("layer-1.png");
        PngLayerWriter.write(img, f);
        assertEquals(img, PngLayerWriter.read(f));
        assertEquals(1, count(dir), "no temporary file left");
    }

    @Test
    void aFullDiskIsNamedAndLeavesNothingBehind() throws Exception {
        // the temporary file leads to /dev/full, where every write fails with "No space left on device"
        Path f = dir.resolve("layer-1.png");
        Files.createSymbolicLink(dir.resolve("layer-1.png.part"), Path.of("/dev/full"));
        IOException e = assertThrows(IOException.class, () -> PngLayerWriter.write(TestPattern.rgba(64, 64), f));
        assertEquals("cannot write " + f + ": disk full", e.getMessage());
        assertEquals(0, count(dir), "neither the file nor its temporary sibling exists");
    }

    @Test
    void aFolderWhereNothingMayBeCreatedIsPermissionDenied() {
        // sysfs refuses new files even to root, so this holds for every user
        Path f = Path.of("/sys/layered-test-layer.png");
        IOException e = assertThrows(IOException.class, () -> PngLayerWriter.write(TestPattern.rgba(4, 4), f));
        assertTrue(e.getMessage().equals("cannot write " + f + ": permission denied")
                || e.getMessage().equals("cannot write " + f + ": read-only file system"), e.getMessage());
    }

    private static long count(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.count();
        }
    }
}
