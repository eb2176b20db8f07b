package org.layered.engine;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class OpsTest {
    private static final ComputeDevice CPU = ComputeDevice.CPU;

    static Tensor randn(Random r, long... shape) {
        int n = 1;
        for (long d : shape) {
            n *= (int) d;
        }
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return Ops.fromFloats(v, shape, CPU);
    }

    /** softmax(q k^T / sqrt(d) + additive) v composed from elementary ops, for comparison. */
    static Tensor composedAttention(Tensor q, Tensor k, Tensor v, Tensor additive) {
        double scale = 1.0 / Math.sqrt(q.size(-1));
        Tensor scores = q.matmul(k.transpose(-2, -1)).mul(scale);
        if (additive != null) {
            scores = scores.add(additive);
        }
        return Ops.softmax(scores, -1).matmul(v);
    }

    static double maxDiff(Tensor a, Tensor b) {
        float[] x = a.toFloats();
        float[] y = b.toFloats();
        assertEquals(x.length, y.length);
        double m = 0;
        for (int i = 0; i < x.length; i++) {
            m = Math.max(m, Math.abs(x[i] - y[i]));
        }
        return m;
    }

    @Test
    void matmulIntoWritesTheProductIntoTheGivenBuffer() {
        try (TensorScope s = TensorScope.open()) {
            Random r = new Random(3);
            Tensor a = randn(r, 5, 7);
            Tensor b = randn(r, 7, 4);
            Tensor out = Ops.zeros(new long[] {5, 4}, DType.F32, CPU);
            Tensor handle = Ops.matmulInto(a, b, out);
            assertEquals(0.0, maxDiff(out, a.matmul(b)), 1e-6);
            assertEquals(0.0, maxDiff(handle, out));
        }
    }

    @Test
    void fusedAttentionMatchesComposedWithoutMask() {
        try (TensorScope s = TensorScope.open()) {
            Random r = new Random(1);
            Tensor q = randn(r, 2, 3, 7, 16);
            Tensor k = randn(r, 2, 3, 9, 16);
            Tensor v = randn(r, 2, 3, 9, 16);
            double d = maxDiff(Ops.attention(q, k, v, null), composedAttention(q, k, v, null));
            assertTrue(d < 1e-5, "fused vs composed: " + d);
        }
    }

    @Test
    void fusedAttentionMatchesComposedWithBoolAndAdditiveMask() {
        try (TensorScope s = TensorScope.open()) {
            Random r = new Random(2);
            Tensor q = randn(r, 2, 2, 5, 8);
            Tensor k = randn(r, 2, 2, 6, 8);
            Tensor v = randn(r, 2, 2, 6, 8);
            // batch 0: all keys valid; batch 1: last two keys masked out (text padding)
            boolean[] keep = new boolean[2 * 6];
            for (int j = 0; j < 6; j++) {
                keep[j] = true;
                keep[6 + j] = j < 4;
            }
            Tensor boolMask = Ops.fromBooleans(keep, new long[] {2, 1, 1, 6}, CPU);
            float[] add = new float[12];
            for (int i = 0; i < 12; i++) {
                add[i] = keep[i] ? 0f : Float.NEGATIVE_INFINITY;
            }
            Tensor additive = Ops.fromFloats(add, new long[] {2, 1, 1, 6}, CPU);
            Tensor expected = composedAttention(q, k, v, additive);
            assertTrue(maxDiff(Ops.attention(q, k, v, boolMask), expected) < 1e-5);
            assertTrue(maxDiff(Ops.attention(q, k, v, additive), expected) < 1e-5);
        }
    }

    @Test
    void attentionRunsOnBf16Inputs() {
        try (TensorScope s = TensorScope.open()) {
            Random r = new Random(3);
            Tensor q = randn(r, 1, 2, 8, 16);
            Tensor k = randn(r, 1, 2, 8, 16);
            Tensor v = randn(r, 1, 2, 8, 16);
            Tensor out = Ops.attention(Ops.cast(q, DType.BF16), Ops.cast(k, DType.BF16), Ops.cast(v, DType.BF16),
                    null);
            assertEquals(DType.BF16, out.dtype());
            double d = maxDiff(out, Ops.attention(q, k, v, null));
            assertTrue(d < 0.05, "bf16 attention error " + d);
        }
    }

    @Test
    void bf16BytesDecodeExactly() {
        try (TensorScope s = TensorScope.open()) {
            float[] values = {1f, -2.5f, 0.15625f, 3.0e5f, -0f, 7f};
            ByteBuffer b = ByteBuffer.allocateDirect(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
            for (float f : values) {
                b.putShort((short) (Float.floatToIntBits(f) >>> 16));
            }
            b.flip();
            Tensor t = Ops.fromBytes(List.of(b), DType.BF16, new long[] {2, 3}, CPU);
            assertEquals(DType.BF16, t.dtype());
            assertArrayEquals(new long[] {2, 3}, t.shape());
            float[] back = t.toFloats();
            for (int i = 0; i < values.length; i++) {
                float truncated = Float.intBitsToFloat(Float.floatToIntBits(values[i]) & 0xffff0000);
                assertEquals(truncated, back[i]);
            }
        }
    }

    @Test
    void readFillsFreshTensorMemoryInViewsOfAtMostOneGib() throws Exception {
        try (TensorScope s = TensorScope.open()) {
            float[] values = {1f, -2.5f, 0.15625f, 3.0e5f, -0f, 7f};
            java.util.List<Long> offsets = new java.util.ArrayList<>();
            Tensor t = Ops.read(DType.BF16, new long[] {2, 3}, CPU, (offset, dst) -> {
                offsets.add(offset);
                for (int i = (int) (offset / 2); dst.hasRemaining(); i++) {
                    dst.putShort((short) (Float.floatToIntBits(values[i]) >>> 16));
                }
            });
            assertEquals(List.of(0L), offsets);
            assertEquals(DType.BF16, t.dtype());
            assertArrayEquals(new long[] {2, 3}, t.shape());
            float[] back = t.toFloats();
            for (int i = 0; i < values.length; i++) {
                assertEquals(Float.intBitsToFloat(Float.floatToIntBits(values[i]) & 0xffff0000), back[i]);
            }
            Tensor scalar = Ops.read(DType.F32, new long[0], CPU, (offset, dst) -> dst.putFloat(4.5f));
            assertEquals(0, scalar.rank());
            assertEquals(4.5, scalar.item());
            Tensor empty = Ops.read(DType.F32, new long[] {0, 3}, CPU, (offset, dst) -> fail("nothing to read"));
            assertEquals(0, empty.numel());
        }
    }

    @Test
    void readSplitsLargeTensorsIntoConsecutiveViews() throws Exception {
        long old = Ops.setMaxViewBytes(8);
        try (TensorScope s = TensorScope.open()) {
            java.util.List<Long> offsets = new java.util.ArrayList<>();
            Tensor t = Ops.read(DType.F32, new long[] {5}, CPU, (offset, dst) -> {
                offsets.add(offset);
                while (dst.hasRemaining()) {
                    dst.putFloat(offset / 4f + dst.position() / 4f);
                }
            });
            assertEquals(List.of(0L, 8L, 16L), offsets);
            assertArrayEquals(new float[] {0, 1, 2, 3, 4}, t.toFloats());
        } finally {
            Ops.setMaxViewBytes(old);
        }
    }

    @Test
    void readFailsWhenTheSourceLeavesBytesUnwrittenOrThrows() {
        try (TensorScope s = TensorScope.open()) {
            java.io.IOException e = assertThrows(java.io.IOException.class, () -> Ops.read(DType.F32,
                    new long[] {4}, CPU, (offset, dst) -> dst.putFloat(1f)));
            assertTrue(e.getMessage().contains("left 12 of 16 bytes unwritten"), e.getMessage());
            assertThrows(java.io.EOFException.class, () -> Ops.read(DType.F32, new long[] {4}, CPU,
                    (offset, dst) -> {
                        throw new java.io.EOFException("file shrank");
                    }));
            assertEquals(0, s.size(), "a failed read leaves nothing allocated");
        }
    }

    @Test
    void allFiniteSeesNanAndInfinityInEveryFloatType() {
        try (TensorScope s = TensorScope.open()) {
            for (DType d : new DType[] {DType.F32, DType.BF16, DType.F16, DType.F64}) {
                assertTrue(Ops.allFinite(Ops.cast(Ops.fromFloats(new float[] {1, -2, 3e4f}, new long[] {3}, CPU),
                        d)), d.toString());
                for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
                    Tensor x = Ops.cast(Ops.fromFloats(new float[] {1, bad, 3}, new long[] {3}, CPU), d);
                    assertFalse(Ops.allFinite(x), d + " " + bad);
                }
            }
        }
    }

    @Test
    void chunkedBytesAreJoined() {
        try (TensorScope s = TensorScope.open()) {
            ByteBuffer a = ByteBuffer.allocateDirect(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(1f).putFloat(2f);
            ByteBuffer b = ByteBuffer.allocateDirect(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(3f).putFloat(4f);
            a.flip();
            b.flip();
            Tensor t = Ops.fromBytes(List.of(a, b), DType.F32, new long[] {4}, CPU);
            assertArrayEquals(new float[] {1, 2, 3, 4}, t.toFloats());
        }
    }

    @Test
    void scopesFreeTensorsAndKeepMovesThemOut() {
        try (TensorScope outer = TensorScope.open()) {
            Tensor kept;
            Tensor dropped;
            try (TensorScope inner = TensorScope.open()) {
                Tensor a = Ops.fromFloats(new float[] {1, 2}, new long[] {2}, CPU);
                dropped = a.mul(3.0);
                kept = inner.keep(a.add(1.0));
            }
            assertTrue(dropped.isClosed());
            assertFalse(kept.isClosed());
            assertArrayEquals(new float[] {2, 3}, kept.toFloats());
            assertEquals(1, outer.size());
        }
    }

    @Test
    void noScopeIsAClearError() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Ops.fromFloats(new float[] {1}, new long[] {1}, CPU));
        assertTrue(e.getMessage().contains("TensorScope"));
    }

    @Test
    void cudaWithoutGpuIsAClearErrorNotAFallback() {
        TorchEngine engine = TorchEngine.get();
        if (engine.gpuCount() == 0) {
            EngineException e = assertThrows(EngineException.class,
                    () -> engine.resolve(DeviceSpec.parse("cuda:0")));
            assertTrue(e.getMessage().contains("--device cpu"), e.getMessage());
            assertEquals(ComputeDevice.CPU, engine.resolve(DeviceSpec.AUTO));
        } else {
            assertTrue(engine.resolve(DeviceSpec.parse("cuda")).isCuda());
        }
    }

    @Test
    void normsMatchDefinitions() {
        try (TensorScope s = TensorScope.open()) {
            Random r = new Random(4);
            Tensor x = randn(r, 2, 3, 8);
            Tensor rms = Ops.rmsNormalize(x, -1, 1e-6);
            Tensor expected = x.div(x.square().mean(new int[] {-1}, true).add(1e-6).sqrt());
            assertTrue(maxDiff(rms, expected) < 1e-6);
            Tensor ln = Ops.layerNorm(x, 1e-6);
            Tensor mu = x.mean(new int[] {-1}, true);
            Tensor var = x.sub(mu).square().mean(new int[] {-1}, true);
            assertTrue(maxDiff(ln, x.sub(mu).div(var.add(1e-6).sqrt())) < 1e-5);
        }
    }

    @Test
    void seededNormalReproducesTorchRandnWithASeededCpuGenerator() {
        // Reference: torch.randn((1, 3, 16, 4, 5), generator=torch.Generator("cpu").manual_seed(777)).flatten(),
        // elements 0, 1, 17 and 959, computed with PyTorch 1.13.1 (Debian python3-torch) — how diffusers draws noise.
        try (TensorScope s = TensorScope.open()) {
            float[] f = Ops.seededNormal(777, new long[] {1, 3, 16, 4, 5}, CPU).toFloats();
            assertEquals(960, f.length);
            assertEquals(0.18738971650600433f, f[0]);
            assertEquals(-0.09800377488136292f, f[1]);
            assertEquals(0.7708218693733215f, f[17]);
            assertEquals(0.5199238657951355f, f[959]);
            assertArrayEquals(f, Ops.seededNormal(777, new long[] {1, 3, 16, 4, 5}, CPU).toFloats());
        }
    }

    @Test
    void detachedScopeHoldsLongLivedTensorsOffTheStack() throws Exception {
        TensorScope weights = TensorScope.detached();
        Tensor w;
        try (TensorScope.Activation a = weights.activate()) {
            assertEquals(1, TensorScope.depth());
            try (TensorScope tmp = TensorScope.open()) {
                w = tmp.keep(Ops.fromFloats(new float[] {1, 2, 3}, new long[] {3}, CPU).mul(2.0));
            }
        }
        assertEquals(0, TensorScope.depth(), "deactivated: no longer current");
        try (TensorScope s = TensorScope.open()) {
            Tensor y = w.add(1.0);
            assertArrayEquals(new float[] {3, 5, 7}, y.toFloats());
            assertEquals(1, s.size(), "results go to the caller's scope, not the weights'");
        }
        // closed from another thread, as a model closed by a GUI thread would be
        Thread t = new Thread(weights::close);
        t.start();
        t.join();
        assertTrue(w.isClosed());
        assertThrows(IllegalStateException.class, weights::activate);
    }

    @Test
    void theEngineAsksLibtorchForHugePagesAndCanTrimTheHeap() {
        TorchEngine.get();
        if (com.sun.jna.Platform.isLinux()) {
            assertNotNull(NativeMemory.nativeEnv("THP_MEM_ALLOC_ENABLE"), "set before libtorch's allocator runs");
        }
        TorchEngine.get().releaseFreedMemory(); // must not throw
    }
}
