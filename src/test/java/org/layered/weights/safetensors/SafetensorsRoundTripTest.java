package org.layered.weights.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layered.engine.DType;

class SafetensorsRoundTripTest {
    @TempDir
    Path dir;

    private final long defaultChunk = SafetensorsFile.DEFAULT_CHUNK_BYTES;

    @AfterEach
    void restoreChunk() {
        SafetensorsFile.setMaxChunkBytes(defaultChunk);
    }

    private static final float[] FLOATS = {0f, 1f, -2.5f, 0.15625f, 1024f, -0.0078125f};

    @Test
    void everyDtypeRoundTripsWithMetadata() throws IOException {
        Map<String, String> md = new LinkedHashMap<>();
        md.put("format", "pt");
        md.put("note", "ünïcødé \"quoted\" <html> \\ back");
        SafetensorsWriter w = new SafetensorsWriter().metadata(md);
        long[] shape = {2, 3};
        w.putFloats("f32", shape, FLOATS);
        w.putFloats("f16", DType.F16, shape, FLOATS);
        w.putFloats("bf16", DType.BF16, shape, FLOATS);
        w.putDoubles("f64", new long[] {3}, new double[] {Math.PI, -1e300, 1.0 / 3});
        w.putLongs("i64", new long[] {3}, new long[] {Long.MIN_VALUE, -1, Long.MAX_VALUE});
        w.putLongs("i32", DType.I32, new long[] {3}, new long[] {Integer.MIN_VALUE, 7, Integer.MAX_VALUE});
        w.putLongs("i16", DType.I16, new long[] {1, 3}, new long[] {-32768, 0, 32767});
        w.putLongs("i8", DType.I8, new long[] {3, 1}, new long[] {-128, 5, 127});
        w.putLongs("u8", DType.U8, new long[] {3}, new long[] {0, 128, 255});
        w.putLongs("bool", DType.BOOL, new long[] {4}, new long[] {1, 0, 0, 1});
        w.putBytes("raw", DType.I16, new long[] {2}, new byte[] {1, 2, (byte) 0xFF, (byte) 0xFF});
        Path file = dir.resolve("all.safetensors");
        w.write(file);

        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertEquals(md, f.metadata());
            List<String> names = new ArrayList<>();
            f.tensors().forEach(t -> names.add(t.name()));
            assertEquals(List.of("f32", "f16", "bf16", "f64", "i64", "i32", "i16", "i8", "u8", "bool", "raw"), names);
            for (String n : List.of("f32", "f16", "bf16")) {
                TensorInfo t = f.info(n);
                assertArrayEquals(shape, t.shape());
                assertEquals(6, t.numel());
                assertArrayEquals(FLOATS, TensorValues.toFloats(t, f.data(n)), n);
            }
            assertEquals(DType.F16, f.info("f16").dtype());
            assertEquals(12, f.info("bf16").byteSize());
            assertArrayEquals(new double[] {Math.PI, -1e300, 1.0 / 3},
                    TensorValues.toDoubles(f.info("f64"), f.data("f64")));
            assertArrayEquals(new long[] {Long.MIN_VALUE, -1, Long.MAX_VALUE}, longs(f, "i64"));
            assertArrayEquals(new long[] {Integer.MIN_VALUE, 7, Integer.MAX_VALUE}, longs(f, "i32"));
            assertArrayEquals(new long[] {-32768, 0, 32767}, longs(f, "i16"));
            assertArrayEquals(new long[] {-128, 5, 127}, longs(f, "i8"));
            assertArrayEquals(new long[] {0, 128, 255}, longs(f, "u8"));
            assertArrayEquals(new long[] {1, 0, 0, 1}, longs(f, "bool"));
            assertArrayEquals(new long[] {0x0201, -1}, longs(f, "raw"));
            assertArrayEquals(new float[] {0, 128, 255}, TensorValues.toFloats(f.info("u8"), f.data("u8")));
            assertThrows(IllegalArgumentException.class, () -> TensorValues.toLongs(f.info("f32"), f.data("f32")));
            long data = 0;
            for (TensorInfo t : f.tensors()) {
                assertEquals(data, t.begin(), "offsets are consecutive");
                data = t.end();
            }
            assertEquals(Files.size(file), f.dataOffset() + data);
        }
    }

    private static long[] longs(SafetensorsFile f, String name) throws IOException {
        return TensorValues.toLongs(f.info(name), f.data(name));
    }

    @Test
    void headerIsPaddedToEightBytesAndKeepsInsertionOrder() throws IOException {
        for (int nameLen = 1; nameLen <= 9; nameLen++) {
            SafetensorsWriter w = new SafetensorsWriter().metadata(Map.of("k", "v"));
            w.putFloats("z".repeat(nameLen), new long[] {1}, new float[] {1});
            w.putFloats("a", new long[] {}, new float[] {2});
            Path file = dir.resolve("pad" + nameLen + ".safetensors");
            w.write(file);
            byte[] bytes = Files.readAllBytes(file);
            long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
            assertEquals(0, n % 8, "header length " + n);
            String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
            assertTrue(header.startsWith("{\"__metadata__\":{\"k\":\"v\"},\"" + "z".repeat(nameLen) + "\":"), header);
            assertEquals(header.stripTrailing().length(), w.headerJson().length());
            assertTrue(header.substring(w.headerJson().length()).isBlank());
            try (SafetensorsFile f = SafetensorsFile.open(file)) {
                assertEquals(8 + n, f.dataOffset());
                assertEquals(List.of("z".repeat(nameLen), "a"), f.tensors().stream().map(TensorInfo::name).toList());
                TensorInfo scalar = f.info("a");
                assertEquals(0, scalar.rank());
                assertEquals(1, scalar.numel());
                assertArrayEquals(new float[] {2}, TensorValues.toFloats(scalar, f.data("a")));
            }
        }
    }

    @Test
    void chunkedDataIsZeroCopyMappedAndReassemblesExactly() throws IOException {
        float[] values = new float[37];
        for (int i = 0; i < values.length; i++) {
            values[i] = i * 1.5f - 7;
        }
        Path file = dir.resolve("chunks.safetensors");
        new SafetensorsWriter().putFloats("x", new long[] {37}, values)
                .putFloats("h", DType.BF16, new long[] {5}, new float[] {1, 2, 3, 4, 5}).write(file);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            SafetensorsFile.setMaxChunkBytes(16);
            List<ByteBuffer> chunks = f.data("x");
            assertEquals(10, chunks.size()); // 148 bytes = 9 x 16 + 4
            ByteBuffer all = ByteBuffer.allocate(148).order(ByteOrder.LITTLE_ENDIAN);
            for (ByteBuffer c : chunks) {
                assertTrue(c instanceof MappedByteBuffer, "mapped, not copied");
                assertTrue(c.isDirect());
                assertTrue(c.isReadOnly());
                assertEquals(ByteOrder.LITTLE_ENDIAN, c.order());
                assertEquals(0, c.position());
                assertEquals(0, c.remaining() % 4);
                all.put(c.duplicate());
            }
            all.flip();
            for (float v : values) {
                assertEquals(v, all.getFloat());
            }
            assertArrayEquals(values, TensorValues.toFloats(f.info("x"), chunks));

            SafetensorsFile.setMaxChunkBytes(6); // not a multiple of 4: chunks shrink to whole elements
            chunks = f.data("x");
            assertEquals(37, chunks.size());
            assertArrayEquals(values, TensorValues.toFloats(f.info("x"), chunks));
            SafetensorsFile.setMaxChunkBytes(1); // smaller than one element: one element per chunk
            assertEquals(5, f.data("h").size());
            assertArrayEquals(new float[] {1, 2, 3, 4, 5}, TensorValues.toFloats(f.info("h"), f.data("h")));

            SafetensorsFile.setMaxChunkBytes(SafetensorsFile.DEFAULT_CHUNK_BYTES);
            assertEquals(1, f.data("x").size());
            assertEquals(148, f.data("x").get(0).remaining());
        }
        assertThrows(IllegalArgumentException.class, () -> SafetensorsFile.setMaxChunkBytes(1L << 31));
        assertThrows(IllegalArgumentException.class, () -> SafetensorsFile.setMaxChunkBytes(0));
    }

    @Test
    void emptyTensorsAndEmptyFile() throws IOException {
        Path file = dir.resolve("empty.safetensors");
        new SafetensorsWriter().putFloats("e", new long[] {0, 3}, new float[0])
                .putLongs("one", new long[] {1}, new long[] {42})
                .putFloats("e2", new long[] {2, 0}, new float[0]).write(file);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertEquals(0, f.info("e").numel());
            List<ByteBuffer> d = f.data("e");
            assertEquals(1, d.size());
            assertEquals(0, d.get(0).remaining());
            assertEquals(0, TensorValues.toFloats(f.info("e2"), f.data("e2")).length);
            assertArrayEquals(new long[] {42}, longs(f, "one"));
        }
        Path none = dir.resolve("none.safetensors");
        new SafetensorsWriter().write(none);
        try (SafetensorsFile f = SafetensorsFile.open(none)) {
            assertTrue(f.tensors().isEmpty());
            assertTrue(f.metadata().isEmpty());
        }
    }

    @Test
    void generatedTensorsAreStreamedAndCounted() throws IOException {
        Path file = dir.resolve("gen.safetensors");
        SafetensorsWriter w = new SafetensorsWriter();
        w.putGenerated("g", DType.BF16, new long[] {1000, 3}, out -> {
            ByteBuffer b = ByteBuffer.allocate(600).order(ByteOrder.LITTLE_ENDIAN);
            for (int row = 0; row < 10; row++) { // 10 rows of 300 values
                b.clear();
                for (int i = 0; i < 300; i++) {
                    b.putShort(TensorValues.floatToBf16(row * 300 + i));
                }
                b.flip();
                out.write(b);
            }
        });
        w.write(file);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            float[] v = TensorValues.toFloats(f.info("g"), f.data("g"));
            assertEquals(3000, v.length);
            assertEquals(256f, v[256]); // bf16 holds integers up to 256 exactly
            assertEquals(2992f, v[2999]); // 2999 rounds to a multiple of 16 in bf16
        }

        SafetensorsWriter bad = new SafetensorsWriter();
        bad.putGenerated("short", DType.F32, new long[] {4}, out -> out.write(ByteBuffer.allocate(12)));
        Path badFile = dir.resolve("bad.safetensors");
        IOException e = assertThrows(IOException.class, () -> bad.write(badFile));
        assertTrue(e.getMessage().contains("'short'") && e.getMessage().contains("wrote 12 bytes"), e.getMessage());
        assertFalse(Files.exists(badFile), "no partial file is left behind");
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of("gen.safetensors"), s.map(p -> p.getFileName().toString()).toList());
        }
    }

    @Test
    void writerRejectsInvalidInput() {
        SafetensorsWriter w = new SafetensorsWriter().putFloats("a", new long[] {2}, new float[] {1, 2});
        assertThrows(IllegalArgumentException.class, () -> w.putFloats("a", new long[] {1}, new float[] {1}));
        assertThrows(IllegalArgumentException.class, () -> w.putFloats("__metadata__", new long[] {1}, new float[1]));
        assertThrows(IllegalArgumentException.class, () -> w.putFloats("b", new long[] {3}, new float[] {1, 2}));
        assertThrows(IllegalArgumentException.class, () -> w.putFloats("b", new long[] {-1}, new float[0]));
        assertThrows(IllegalArgumentException.class,
                () -> w.put("b", DType.F32, new long[] {2}, ByteBuffer.allocate(7)));
        assertThrows(IllegalArgumentException.class,
                () -> w.putLongs("b", DType.U8, new long[] {1}, new long[] {256}));
        assertThrows(IllegalArgumentException.class,
                () -> w.putLongs("b", DType.BOOL, new long[] {1}, new long[] {2}));
        assertThrows(IllegalArgumentException.class,
                () -> w.putLongs("b", DType.F32, new long[] {1}, new long[] {2}));
        assertThrows(IllegalArgumentException.class,
                () -> w.putFloats("b", DType.I32, new long[] {1}, new float[] {2}));
        assertThrows(ArithmeticException.class,
                () -> w.putGenerated("b", DType.F64, new long[] {1L << 40, 1L << 40}, out -> { }));
    }

    @Test
    void writerOverwritesAndLeavesCallerBuffersAlone() throws IOException {
        Path file = dir.resolve("o.safetensors");
        new SafetensorsWriter().putFloats("old", new long[] {1}, new float[] {1}).write(file);
        ByteBuffer buf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(3).putFloat(4).flip();
        SafetensorsWriter w = new SafetensorsWriter().put("new", DType.F32, new long[] {2}, buf);
        w.write(file);
        w.write(file); // writing twice gives the same file
        assertEquals(0, buf.position());
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertFalse(f.contains("old"));
            assertArrayEquals(new float[] {3, 4}, TensorValues.toFloats(f.info("new"), f.data("new")));
        }
    }

    @Test
    void missingTensorSuggestsSimilarNamesAndClosedFileRefuses() throws IOException {
        Path file = dir.resolve("names.safetensors");
        new SafetensorsWriter().putFloats("model.layers.0.weight", new long[] {1}, new float[] {1})
                .putFloats("model.layers.1.weight", new long[] {1}, new float[] {1})
                .putFloats("totally.different", new long[] {1}, new float[] {1}).write(file);
        SafetensorsFile f = SafetensorsFile.open(file);
        assertFalse(f.contains("layers.0.weight"));
        NoSuchElementException e = assertThrows(NoSuchElementException.class, () -> f.info("layers.0.weight"));
        String msg = e.getMessage();
        assertTrue(msg.contains(file.toString()) && msg.contains("'layers.0.weight'"), msg);
        assertTrue(msg.indexOf("'model.layers.0.weight'") < msg.indexOf("'totally.different'"), msg);
        assertThrows(NoSuchElementException.class, () -> f.data("nope"));
        List<ByteBuffer> before = f.data("model.layers.1.weight");
        f.close();
        f.close(); // idempotent
        assertThrows(IllegalStateException.class, () -> f.data("model.layers.0.weight"));
        assertEquals(1f, before.get(0).getFloat(0), "buffers stay valid after close");
    }

    @Test
    void halfPrecisionConversions() {
        assertEquals(1f, TensorValues.halfToFloat((short) 0x3C00));
        assertEquals(-2f, TensorValues.halfToFloat((short) 0xC000));
        assertEquals(65504f, TensorValues.halfToFloat((short) 0x7BFF));
        assertEquals(0x1p-24f, TensorValues.halfToFloat((short) 0x0001));
        assertEquals(0x1p-14f, TensorValues.halfToFloat((short) 0x0400));
        assertEquals(0x3FFp-24f, TensorValues.halfToFloat((short) 0x03FF));
        assertEquals(0.333251953125f, TensorValues.halfToFloat((short) 0x3555));
        assertEquals(Float.POSITIVE_INFINITY, TensorValues.halfToFloat((short) 0x7C00));
        assertEquals(Float.NEGATIVE_INFINITY, TensorValues.halfToFloat((short) 0xFC00));
        assertTrue(Float.isNaN(TensorValues.halfToFloat((short) 0x7E00)));
        assertEquals(Float.floatToIntBits(-0f), Float.floatToIntBits(TensorValues.halfToFloat((short) 0x8000)));
        // every half value converts to float and back unchanged (NaNs stay NaN but come back quiet, as in hardware)
        for (int h = 0; h < 0x10000; h++) {
            float f = TensorValues.halfToFloat((short) h);
            if (Float.isNaN(f)) {
                assertTrue(Float.isNaN(TensorValues.halfToFloat(TensorValues.floatToHalf(f))));
            } else if (TensorValues.floatToHalf(f) != (short) h) {
                throw new AssertionError("half 0x" + Integer.toHexString(h) + " -> " + f + " -> 0x"
                        + Integer.toHexString(TensorValues.floatToHalf(f) & 0xFFFF));
            }
        }
        // rounding to nearest even, overflow, underflow
        assertEquals((short) 0x3C00, TensorValues.floatToHalf(1 + 0x1p-11f)); // tie -> even (1.0)
        assertEquals((short) 0x3C02, TensorValues.floatToHalf(1 + 3 * 0x1p-11f)); // tie -> even (1 + 2^-9)
        assertEquals((short) 0x3C01, TensorValues.floatToHalf(1 + 0x1p-11f + 0x1p-20f));
        assertEquals((short) 0x7BFF, TensorValues.floatToHalf(65519f));
        assertEquals((short) 0x7C00, TensorValues.floatToHalf(65520f));
        assertEquals((short) 0x7C00, TensorValues.floatToHalf(1e10f));
        assertEquals((short) 0x0000, TensorValues.floatToHalf(0x1p-25f)); // tie with 0 -> 0
        assertEquals((short) 0x0001, TensorValues.floatToHalf(0x1.01p-25f));
        assertEquals((short) 0x0400, TensorValues.floatToHalf(0x1.FFFp-15f)); // subnormal rounds up to min normal
        assertEquals((short) 0x8000, TensorValues.floatToHalf(-1e-30f));
        assertEquals((short) 0x0000, TensorValues.floatToHalf(Float.MIN_VALUE));

        assertEquals(1f, TensorValues.bf16ToFloat((short) 0x3F80));
        assertEquals((short) 0x3F80, TensorValues.floatToBf16(1 + 0x1p-8f)); // tie -> even
        assertEquals((short) 0x3F82, TensorValues.floatToBf16(1 + 3 * 0x1p-8f)); // tie -> even
        assertEquals((short) 0x3F81, TensorValues.floatToBf16(1 + 0x1p-8f + 0x1p-20f));
        assertTrue(Float.isNaN(TensorValues.bf16ToFloat(TensorValues.floatToBf16(Float.NaN))));
        assertEquals(Float.POSITIVE_INFINITY, TensorValues.bf16ToFloat(TensorValues.floatToBf16(Float.MAX_VALUE)));
    }

    @Test
    void decodersRejectHugeOrMismatchedTensors() {
        TensorInfo huge = new TensorInfo("huge", DType.U8, new long[] {1L << 31}, 0, 1L << 31);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TensorValues.toFloats(huge, List.of()));
        assertTrue(e.getMessage().contains("'huge'") && e.getMessage().contains("2147483648 elements"),
                e.getMessage());
        TensorInfo t = new TensorInfo("t", DType.F32, new long[] {2}, 0, 8);
        assertThrows(IllegalArgumentException.class, () -> TensorValues.toFloats(t, List.of(ByteBuffer.allocate(4))));
        assertThrows(IllegalArgumentException.class,
                () -> TensorValues.toFloats(t, List.of(ByteBuffer.allocate(2), ByteBuffer.allocate(6))));
    }

    @Test
    void tensorInfoIsImmutableValue() {
        long[] shape = {2, 3};
        TensorInfo a = new TensorInfo("a", DType.BF16, shape, 0, 12);
        shape[0] = 99;
        assertArrayEquals(new long[] {2, 3}, a.shape());
        a.shape()[1] = 99;
        assertEquals(3, a.dim(1));
        assertEquals(new TensorInfo("a", DType.BF16, new long[] {2, 3}, 0, 12), a);
        assertEquals(new TensorInfo("a", DType.BF16, new long[] {2, 3}, 0, 12).hashCode(), a.hashCode());
        assertEquals(6, a.numel());
        assertEquals(12, a.byteSize());
        assertTrue(a.toString().contains("BF16[2, 3]"), a.toString());
        assertThrows(IllegalArgumentException.class, () -> new TensorInfo("b", DType.F32, new long[] {1}, 8, 4));
    }
}
