package org.layered.pipeline;

import org.junit.jupiter.api.Test;
import org.layered.engine.DType;
import org.layered.engine.Ops;
import org.layered.engine.Tensor;
import org.layered.engine.TensorScope;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** True-CFG combination and the per-token norm rescale against {@code cfg.*}. */
class GuidanceTest {
    private static final double TOL = 1e-6;

    @Test
    void combinedAndNormalized() {
        double scale = GoldenFiles.json("helpers/helpers_golden.json").getAsJsonObject("cfg")
                .get("true_cfg_scale").getAsDouble();
        try (GoldenFiles g = GoldenFiles.helpers(); TensorScope s = TensorScope.open()) {
            Tensor cond = g.tensor("cfg.cond");
            Tensor uncond = g.tensor("cfg.uncond");
            Tensor comb = Guidance.apply(cond, uncond, scale, false);
            Tensor norm = Guidance.apply(cond, uncond, scale, true);
            assertArrayEquals(g.shape("cfg.combined"), comb.shape());
            assertArrayEquals(g.shape("cfg.combined_normalized"), norm.shape());
            double e1 = GoldenFiles.maxAbsDiff(comb.toFloats(), g.floats("cfg.combined"));
            double e2 = GoldenFiles.maxAbsDiff(norm.toFloats(), g.floats("cfg.combined_normalized"));
            System.out.printf("cfg.combined            max |err| %.3g (%d bit diffs)%n", e1,
                    GoldenFiles.bitDiffs(comb.toFloats(), g.floats("cfg.combined")));
            System.out.printf("cfg.combined_normalized max |err| %.3g (%d bit diffs)%n", e2,
                    GoldenFiles.bitDiffs(norm.toFloats(), g.floats("cfg.combined_normalized")));
            assertEquals(0.0, e1, TOL);
            assertEquals(0.0, e2, TOL);
        }
    }

    @Test
    void bf16StaysBf16() {
        try (GoldenFiles g = GoldenFiles.helpers(); TensorScope s = TensorScope.open()) {
            Tensor cond = Ops.cast(g.tensor("cfg.cond"), DType.BF16);
            Tensor uncond = Ops.cast(g.tensor("cfg.uncond"), DType.BF16);
            Tensor out = Guidance.apply(cond, uncond, 4.0, true);
            assertEquals(DType.BF16, out.dtype());
            // bf16 has ~3 significant digits; values are within a few units
            double e = GoldenFiles.maxAbsDiff(out.toFloats(), g.floats("cfg.combined_normalized"));
            assertTrue(e < 0.1, "bf16 error " + e);
        }
    }

    @Test
    void normAnySize() {
        // compare with a float64 norm for several lengths
        try (TensorScope s = TensorScope.open()) {
            for (int n : new int[] {1, 5, 8, 13, 64, 67}) {
                float[] v = new float[3 * n];
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) Math.sin(i * 1.7 + n);
                }
                float[] got = Guidance.norm(Ops.fromFloats(v, new long[] {3, n}, org.layered.engine.ComputeDevice.CPU))
                        .toFloats();
                assertEquals(3, got.length);
                for (int r = 0; r < 3; r++) {
                    double sum = 0;
                    for (int i = 0; i < n; i++) {
                        sum += (double) v[r * n + i] * v[r * n + i];
                    }
                    assertEquals(Math.sqrt(sum), got[r], 1e-6 * Math.sqrt(sum), "n=" + n);
                }
            }
        }
    }

    @Test
    void activation() {
        assertTrue(Guidance.isActive(4.0, true));
        assertFalse(Guidance.isActive(1.0, true));
        assertFalse(Guidance.isActive(4.0, false));
    }
}
