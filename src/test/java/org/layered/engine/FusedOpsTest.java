package org.layered.engine;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.layered.engine.OpsTest.maxDiff;
import static org.layered.engine.OpsTest.randn;

/**
 * Each fused op of the op library against the same computation composed from elementary ops: in float32 within
 * float32 rounding (batch 1 and 2), and in bf16 against the float32 result within bf16 rounding (as close as the
 * composed bf16 computation is).
 */
class FusedOpsTest {
    private static final ComputeDevice CPU = ComputeDevice.CPU;
    private static final double EPS = 1e-6;

    /** Largest |x| of a tensor, for relative tolerances. */
    private static double scale(Tensor t) {
        return Math.max(1e-30, t.maxAbs());
    }

    /** Asserts fused ≈ composed in float32, and bf16 fused as close to the float32 result as bf16 composed. */
    private static void check(String name, Tensor fused32, Tensor composed32, Tensor fused16, Tensor composed16) {
        assertArrayEquals(composed32.shape(), fused32.shape(), name + " shape");
        assertEquals(DType.F32, fused32.dtype(), name);
        double ref = scale(composed32);
        double d32 = maxDiff(fused32, composed32) / ref;
        assertTrue(d32 < 2e-6, name + ": float32 fused vs composed, relative " + d32);
        assertEquals(DType.BF16, fused16.dtype(), name);
        double d16 = maxDiff(fused16, composed32) / ref;
        double c16 = maxDiff(composed16, composed32) / ref;
        System.out.printf("%s: float32 fused vs composed %.2g; bf16 fused %.2g, bf16 composed %.2g (relative)%n",
                name, d32, d16, c16);
        // bf16 keeps 8 significant bits (relative rounding 2^-9 per op); a fused op rounds fewer times
        assertTrue(d16 < 0.03 && d16 <= 2 * c16 + 0.004, name + ": bf16 fused " + d16 + " vs bf16 composed " + c16
                + " (relative to the float32 result)");
    }

    private static Tensor bf(Tensor t) {
        return Ops.cast(t, DType.BF16);
    }

    @Test
    void rmsNormWithWeightMatchesNormaliseThenMultiply() {
        try (TensorScope s = TensorScope.open()) {
            Random r = new Random(11);
            Tensor x = randn(r, 2, 5, 3, 16).mul(3.0);
            Tensor w = randn(r, 16);
            check("rmsNorm", Ops.rmsNorm(x, w, EPS), Ops.rmsNormalize(x, -1, EPS).mul(w),
                    Ops.rmsNorm(bf(x), bf(w), EPS), Ops.rmsNormalize(bf(x), -1, EPS).mul(bf(w)));
            // float64 reference runs: statistics in float32 as upstream, the rest in float64
            Tensor x64 = Ops.cast(x, DType.F64);
            Tensor w64 = Ops.cast(w, DType.F64);
            Tensor norm64 = Ops.rmsNorm(x64, w64, EPS);
            assertEquals(DType.F64, norm64.dtype());
            assertTrue(maxDiff(norm64, Ops.rmsNormalize(x64, -1, EPS).mul(w64)) < 1e-5);
        }
    }

    @Test
    void channelRmsNormEqualsNormaliseScaleSilu() {
        try (TensorScope s = TensorScope.open()) {
            Random r = new Random(18);
            Tensor x = randn(r, 2, 6, 5, 7);
            Tensor g = randn(r, 6, 1, 1);
            Tensor normed = Ops.l2Normalize(x, 1, 1e-12).mul(g);
            // float32: the same kernels, in place instead of into fresh tensors: equal to the bit
            assertEquals(0.0, maxDiff(Ops.channelRmsNorm(x, g, false), normed));
            assertEquals(0.0, maxDiff(Ops.channelRmsNorm(x, g, true), Ops.silu(normed)));
            Tensor composed16 = Ops.silu(Ops.cast(Ops.l2Normalize(x, 1, 1e-12), DType.BF16).mul(bf(g)));
            check("channelRmsNorm+silu", Ops.channelRmsNorm(x, g, true), Ops.silu(normed),
                    Ops.channelRmsNorm(bf(x), bf(g), true), composed16);
            // channels-last input: same values, same layout-independent result
            assertEquals(0.0, maxDiff(Ops.channelRmsNorm(Ops.channelsLast(x), g, true), Ops.silu(normed)));
        }
    }

    @Test
    void channelsLastKeepsValuesAndConvolutionResults() {
        try (TensorScope s = TensorScope.open()) {
            Random r = new Random(19);
            Tensor x = randn(r, 1, 8, 9, 11);
            Tensor w = randn(r, 8, 8, 3, 3).mul(0.2);
            Tensor b = randn(r, 8);
            Tensor cl = Ops.channelsLast(x);
            assertArrayEquals(x.shape(), cl.shape());
            assertEquals(0.0, maxDiff(x, cl));
            assertEquals(0.0, maxDiff(x, Ops.contiguous(cl)));
            Tensor expected = Ops.conv2d(x, w, b, 1, 1);
            double d = maxDiff(Ops.contiguous(Ops.conv2d(cl, Ops.channelsLast(w), b, 1, 1)), expected);
            assertTrue(d < 1e-5 * scale(expected), "channels-last convolution differs by " + d);
            assertThrowsIllegalArgument(() -> Ops.channelsLast(x.reshape(8, 99)));
        }
    }

    private static void assertThrowsIllegalArgument(Runnable r) {
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, r::run);
    }

    @Test
    void layerNormModulateMatchesNormScaleShiftPerSample() {
        try (TensorScope s = TensorScope.open()) {
            Random r = new Random(12);
            for (int b : new int[] {1, 2}) {
                Tensor x = randn(r, b, 7, 32).mul(2.0).add(0.5);
                Tensor shift = randn(r, b, 1, 32);
                Tensor scale = randn(r, b, 1, 32).mul(0.3);
                check("layerNormModulate B=" + b, Ops.layerNormModulate(x, shift, scale, EPS),
                        composedModulate(x, shift, scale),
                        Ops.layerNormModulate(bf(x), bf(shift), bf(scale), EPS),
                        composedModulate(bf(x), bf(shift), bf(scale)));
            }
        }
    }

    private static Tensor composedModulate(Tensor x, Tensor shift, Tensor scale) {
        return Ops.layerNorm(x, EPS).mul(scale.add(1.0)).add(shift);
    }

    @Test
    void linearGatedResidualMatchesLinearThenGatedAdd() {
        try (TensorScope s = TensorScope.open()) {
            Random r = new Random(13);
            for (int b : new int[] {1, 2}) {
                Tensor x = randn(r, b, 6, 24);
                Tensor gate = randn(r, b, 1, 24);
                Tensor a = randn(r, b, 6, 20);
                Tensor w = randn(r, 24, 20).mul(0.2);
                Tensor bias = randn(r, 24);
                check("linearGatedResidual B=" + b, Ops.linearGatedResidual(x, gate, a, w, bias),
                        x.add(gate.mul(Ops.linear(a, w, bias))),
                        Ops.linearGatedResidual(bf(x), bf(gate), bf(a), bf(w), bf(bias)),
                        bf(x).add(bf(gate).mul(Ops.linear(bf(a), bf(w), bf(bias)))));
            }
        }
    }

    @Test
    void linearGatedResidualTakesARowSliceOfAJointSequence() {
        try (TensorScope s = TensorScope.open()) {
            Random r = new Random(14);
            Tensor joint = randn(r, 2, 9, 16); // batch 2: a row slice is not contiguous
            Tensor a = joint.slice(1, 3, 9);
            Tensor x = randn(r, 2, 6, 16);
            Tensor gate = randn(r, 2, 1, 16);
            Tensor w = randn(r, 16, 16).mul(0.25);
            Tensor bias = randn(r, 16);
            double d = maxDiff(Ops.linearGatedResidual(x, gate, a, w, bias), x.add(gate.mul(Ops.linear(a.copy(), w,
                    bias))));
            assertTrue(d < 1e-5, "slice input: " + d);
        }
    }

    @Test
    void linearGeluMatchesLinearThenGelu() {
        try (TensorScope s = TensorScope.open()) {
            Random r = new Random(15);
            for (int b : new int[] {1, 2}) {
                Tensor a = randn(r, b, 5, 16);
                Tensor w = randn(r, 64, 16).mul(0.25);
                Tensor bias = randn(r, 64);
                check("linearGeluTanh B=" + b, Ops.linearGeluTanh(a, w, bias), Ops.geluTanh(Ops.linear(a, w, bias)),
                        Ops.linearGeluTanh(bf(a), bf(w), bf(bias)), Ops.geluTanh(Ops.linear(bf(a), bf(w), bf(bias))));
            }
        }
    }

    @Test
    void jointHeadsMatchesConcatenatedProjectionsAsHeads() {
        try (TensorScope s = TensorScope.open()) {
            Random r = new Random(16);
            for (int b : new int[] {1, 2}) {
                Tensor t = randn(r, b, 3, 12);
                Tensor i = randn(r, b, 8, 20);
                Tensor wt = randn(r, 16, 12).mul(0.3);
                Tensor bt = randn(r, 16);
                Tensor wi = randn(r, 16, 20).mul(0.3);
                Tensor bi = randn(r, 16);
                Tensor fused = Ops.jointHeads(t, i, wt, bt, wi, bi, 4);
                assertArrayEquals(new long[] {b, 4, 11, 4}, fused.shape());
                check("jointHeads B=" + b, fused, composedJoint(Ops.linear(t, wt, bt), Ops.linear(i, wi, bi), 4),
                        Ops.jointHeads(bf(t), bf(i), bf(wt), bf(bt), bf(wi), bf(bi), 4),
                        composedJoint(Ops.linear(bf(t), bf(wt), bf(bt)), Ops.linear(bf(i), bf(wi), bf(bi)), 4));
            }
        }
    }

    /** (B, n, D) streams joined, first first, as (B, heads, n1 + n2, D / heads). */
    private static Tensor composedJoint(Tensor first, Tensor second, int heads) {
        Tensor j = Ops.concat(List.of(first, second), 1);
        return j.reshape(j.size(0), j.size(1), heads, j.size(2) / heads).permute(0, 2, 1, 3);
    }

    @Test
    void jointQkMatchesProjectNormRotateJoin() {
        try (TensorScope s = TensorScope.open()) {
            Random r = new Random(17);
            int heads = 2;
            int hd = 8;
            for (int b : new int[] {1, 2}) {
                Tensor t = randn(r, b, 3, 12);
                int n = b == 1 ? 5 : 300; // 300: more than one 256-token chunk of the bf16 rotation
                Tensor i = randn(r, b, n, 16);
                Tensor wt = randn(r, heads * hd, 12).mul(0.3);
                Tensor bt = randn(r, heads * hd);
                Tensor wi = randn(r, heads * hd, 16).mul(0.3);
                Tensor bi = randn(r, heads * hd);
                Tensor nt = randn(r, hd);
                Tensor ni = randn(r, hd);
                Tensor[] ropeT = rope(r, 3, hd / 2);
                Tensor[] ropeI = rope(r, n, hd / 2);
                Tensor fused = Ops.jointQk(t, i, wt, bt, wi, bi, nt, ni, ropeT[0], ropeI[0], heads, EPS);
                Tensor composed = composedJoint(
                        composedNormRope(Ops.linear(t, wt, bt), nt, ropeT, heads),
                        composedNormRope(Ops.linear(i, wi, bi), ni, ropeI, heads), heads);
                Tensor fused16 = Ops.jointQk(bf(t), bf(i), bf(wt), bf(bt), bf(wi), bf(bi), bf(nt), bf(ni), ropeT[0],
                        ropeI[0], heads, EPS);
                Tensor composed16 = composedJoint(
                        composedNormRope(Ops.linear(bf(t), bf(wt), bf(bt)), bf(nt), ropeT, heads),
                        composedNormRope(Ops.linear(bf(i), bf(wi), bf(bi)), bf(ni), ropeI, heads), heads);
                check("jointQk B=" + b, fused, composed, fused16, composed16);
            }
        }
    }

    /** {interleaved (1, n, 1, P, 2), cos (1, n, 1, P), sin (1, n, 1, P)} of random angles. */
    private static Tensor[] rope(Random r, int n, int pairs) {
        float[] cs = new float[n * pairs * 2];
        float[] c = new float[n * pairs];
        float[] sn = new float[n * pairs];
        for (int k = 0; k < n * pairs; k++) {
            double angle = r.nextDouble() * 20 - 10;
            c[k] = (float) Math.cos(angle);
            sn[k] = (float) Math.sin(angle);
            cs[2 * k] = c[k];
            cs[2 * k + 1] = sn[k];
        }
        return new Tensor[] {Ops.fromFloats(cs, new long[] {1, n, 1, pairs, 2}, CPU),
                Ops.fromFloats(c, new long[] {1, n, 1, pairs}, CPU), Ops.fromFloats(sn, new long[] {1, n, 1, pairs}, CPU)};
    }

    /** RMS norm with weight per head, then the pairs rotated in float32 (re' = re cos - im sin, im' = re sin + im cos). */
    private static Tensor composedNormRope(Tensor projected, Tensor weight, Tensor[] rope, int heads) {
        long b = projected.size(0);
        long n = projected.size(1);
        long hd = projected.size(2) / heads;
        Tensor x = Ops.rmsNormalize(projected.reshape(b, n, heads, hd), -1, EPS).mul(weight);
        Tensor xf = Ops.as(x, DType.F32).reshape(b, n, heads, hd / 2, 2);
        Tensor re = xf.get("..., 0");
        Tensor im = xf.get("..., 1");
        Tensor outRe = re.mul(rope[1]).sub(im.mul(rope[2]));
        Tensor outIm = re.mul(rope[2]).add(im.mul(rope[1]));
        Tensor out = Ops.concat(List.of(outRe.unsqueeze(-1), outIm.unsqueeze(-1)), -1).reshape(b, n, heads * hd);
        return Ops.as(out, x.dtype());
    }
}
