package org.layered.model.transformer;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.layered.engine.ComputeDevice;
import org.layered.engine.Ops;
import org.layered.engine.Tensor;
import org.layered.engine.TensorScope;

import java.io.IOException;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Batch 2 with different timesteps, additional_t_cond flags, text lengths and masks per sample gives, per sample,
 * what running that sample alone gives.
 */
class TransformerBatchTest {
    private static final ComputeDevice CPU = ComputeDevice.CPU;
    private static final List<FrameShape> SHAPES = FrameShape.layered(2, 4, 4);
    private static QwenImageTransformer model;

    @BeforeAll
    static void load() throws IOException {
        model = QwenImageTransformer.load(Golden.transformerDir());
    }

    @AfterAll
    static void close() throws IOException {
        model.close();
    }

    private static float[] randn(Random r, int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (scale * r.nextGaussian());
        }
        return v;
    }

    private static float[] concat(float[] a, float[] b) {
        float[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static Tensor t(float[] v, long... shape) {
        return Ops.fromFloats(v, shape, CPU);
    }

    private static Tensor mask(long[] m) {
        return Ops.fromLongs(m, new long[] {1, m.length}, CPU);
    }

    private static float[] forward(Tensor hs, Tensor enc, Tensor mask, float[] ts, long[] flags) throws IOException {
        return model.forward(hs, enc, mask, Ops.fromFloats(ts, new long[] {ts.length}, CPU),
                Ops.fromLongs(flags, new long[] {flags.length}, CPU), SHAPES).toFloats();
    }

    @Test
    void batchOfTwoEqualsEachSampleAlone() throws IOException {
        Random r = new Random(7);
        int s = 64;
        int c = 64;
        int l = 6;
        int j = 48;
        float[] hA = randn(r, s * c, 1);
        float[] hB = randn(r, s * c, 1);
        float[] eA = randn(r, l * j, 2); // tokens 4 and 5 are padding (masked)
        float[] eB = randn(r, l * j, 2);
        long[] mA = {1, 1, 1, 1, 0, 0}; // 4 valid tokens
        long[] mB = {1, 1, 0, 1, 1, 1}; // 5 valid tokens, not contiguous
        try (TensorScope scope = TensorScope.open()) {
            float[] batched = forward(t(concat(hA, hB), 2, s, c), t(concat(eA, eB), 2, l, j),
                    Ops.fromLongs(new long[] {1, 1, 1, 1, 0, 0, 1, 1, 0, 1, 1, 1}, new long[] {2, l}, CPU),
                    new float[] {0.75f, 0.2f}, new long[] {0, 1});
            // A alone: only its 4 real text tokens, no mask at all; and padded with its mask
            float[] aloneA = forward(t(hA, 1, s, c), t(java.util.Arrays.copyOf(eA, 4 * j), 1, 4, j), null,
                    new float[] {0.75f}, new long[] {0});
            float[] aloneAPadded = forward(t(hA, 1, s, c), t(eA, 1, l, j), mask(mA), new float[] {0.75f},
                    new long[] {0});
            float[] aloneB = forward(t(hB, 1, s, c), t(eB, 1, l, j), mask(mB), new float[] {0.2f}, new long[] {1});

            int n = s * c;
            float[] batch0 = java.util.Arrays.copyOfRange(batched, 0, n);
            float[] batch1 = java.util.Arrays.copyOfRange(batched, n, 2 * n);
            double dA = Golden.maxAbsDiff(aloneA, batch0);
            double dAPad = Golden.maxAbsDiff(aloneA, aloneAPadded);
            double dB = Golden.maxAbsDiff(aloneB, batch1);
            double dAB = Golden.maxAbsDiff(aloneA, aloneB);
            System.out.printf("batch 2 vs alone: sample A %.3g, sample B %.3g; A padded+mask vs A unpadded %.3g; "
                    + "A vs B %.3g%n", dA, dB, dAPad, dAB);
            assertTrue(dA <= 1e-5 && dB <= 1e-5 && dAPad <= 1e-5, "per-sample results differ");
            assertTrue(dAB > 1e-2, "the two samples should differ");
        }
    }

    @Test
    void flagAndTimestepChangeTheResult() throws IOException {
        Random r = new Random(8);
        try (TensorScope scope = TensorScope.open()) {
            Tensor hs = t(randn(r, 64 * 64, 1), 1, 64, 64);
            Tensor enc = t(randn(r, 6 * 48, 2), 1, 6, 48);
            float[] base = forward(hs, enc, null, new float[] {0.5f}, new long[] {0});
            double dFlag = Golden.maxAbsDiff(base, forward(hs, enc, null, new float[] {0.5f}, new long[] {1}));
            double dTime = Golden.maxAbsDiff(base, forward(hs, enc, null, new float[] {0.4f}, new long[] {0}));
            assertTrue(dFlag > 1e-3 && dTime > 1e-3, "flag " + dFlag + ", time " + dTime);
        }
    }
}
