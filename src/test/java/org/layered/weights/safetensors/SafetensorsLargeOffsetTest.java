package org.layered.weights.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.layered.weights.safetensors.RawFiles.entry;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Offsets past 2^31 in a sparse file (about 4.3 GB long, but only the few written pages take disk space): checks that
 * no int arithmetic truncates offsets and that tensors larger than one ByteBuffer come back in chunks.
 */
class SafetensorsLargeOffsetTest {
    private static final long TWO_GIB = 1L << 31;

    @TempDir
    Path dir;

    @AfterEach
    void restoreChunk() {
        SafetensorsFile.setMaxChunkBytes(SafetensorsFile.DEFAULT_CHUNK_BYTES);
    }

    @Test
    void tensorsBeyondTwoGibAndAcrossTheBoundary() throws IOException {
        // filler1 | span (4 KiB straddling 2^31) | filler2 (more than Integer.MAX_VALUE elements) | small
        long spanBegin = TWO_GIB - 2048;
        long spanEnd = spanBegin + 4096;
        long filler2End = spanEnd + TWO_GIB + 16;
        long smallEnd = filler2End + 16;
        String json = "{" + entry("filler1", "U8", "[" + spanBegin + "]", 0, spanBegin) + ","
                + entry("span", "F32", "[32,32]", spanBegin, spanEnd) + ","
                + entry("filler2", "U8", "[" + (filler2End - spanEnd) + "]", spanEnd, filler2End) + ","
                + entry("small", "F32", "[2,2]", filler2End, smallEnd) + "}";
        byte[] header = json.getBytes(StandardCharsets.UTF_8);
        long dataOffset = 8 + header.length;
        assertTrue(dataOffset < 2048, "span must straddle 2^31 in file positions too");

        float[] spanValues = new float[1024];
        for (int i = 0; i < spanValues.length; i++) {
            spanValues[i] = i * 0.5f - 100;
        }
        float[] smallValues = {1.5f, -2.25f, 3e30f, Float.MIN_VALUE};
        Path file = dir.resolve("sparse.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(dataOffset + smallEnd); // sparse: unwritten ranges read as zeros and use no disk
            raf.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).array());
            raf.write(header);
            raf.seek(dataOffset + spanBegin);
            raf.write(floatsLe(spanValues));
            raf.seek(dataOffset + filler2End - 1);
            raf.write(7);
            raf.seek(dataOffset + filler2End);
            raf.write(floatsLe(smallValues));
        }

        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertEquals(dataOffset, f.dataOffset());
            assertEquals(filler2End, f.info("small").begin());
            assertArrayEquals(smallValues, TensorValues.toFloats(f.info("small"), f.data("small")));
            assertArrayEquals(spanValues, TensorValues.toFloats(f.info("span"), f.data("span")));

            SafetensorsFile.setMaxChunkBytes(48); // 4096 bytes in chunks of 48: several on each side of 2^31
            List<ByteBuffer> chunks = f.data("span");
            assertEquals(86, chunks.size());
            assertArrayEquals(spanValues, TensorValues.toFloats(f.info("span"), chunks));

            SafetensorsFile.setMaxChunkBytes(SafetensorsFile.DEFAULT_CHUNK_BYTES);
            TensorInfo big = f.info("filler2");
            assertEquals(TWO_GIB + 16, big.numel());
            List<ByteBuffer> parts = f.data("filler2"); // mapping costs address space only, nothing is read
            assertEquals(3, parts.size());
            assertEquals(1L << 30, parts.get(0).remaining());
            assertEquals(1L << 30, parts.get(1).remaining());
            assertEquals(16, parts.get(2).remaining());
            assertEquals(0, parts.get(1).get(12345));
            assertEquals(7, parts.get(2).get(15));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> TensorValues.toLongs(big, parts));
            assertTrue(e.getMessage().contains("'filler2'") && e.getMessage().contains("2147483664 elements"),
                    e.getMessage());
        }
    }

    private static byte[] floatsLe(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) {
            b.putFloat(x);
        }
        return b.array();
    }
}
