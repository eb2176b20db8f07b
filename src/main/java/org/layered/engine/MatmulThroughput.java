package org.layered.engine;

import java.util.Arrays;
import java.util.Locale;
import java.util.Random;

/**
 * How fast this machine multiplies matrices through the engine: a square {@code n x n} matmul in the device's
 * compute precision, timed after warm-ups. The reference for a model's achieved speed (benchmarks) and the basis
 * of the time estimate before a long CPU run.
 *
 * @param size             n
 * @param precision        the element type used
 * @param bestFlopsPerSec  FLOP/s of the fastest run
 * @param medianFlopsPerSec FLOP/s of the median run
 */
public record MatmulThroughput(int size, Precision precision, double bestFlopsPerSec, double medianFlopsPerSec) {
    /**
     * Measures {@code runs} timed {@code n^3} matmuls on {@code device} after {@code warmups} untimed ones (not cached;
     * {@link TorchEngine#matmulThroughput} keeps one measurement per device and precision).
     */
    public static MatmulThroughput measure(ComputeDevice device, Precision p, int n, int warmups, int runs) {
        try (TensorScope s = TensorScope.open()) {
            Random r = new Random(1);
            float[] a = new float[n * n];
            float[] b = new float[n * n];
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) r.nextGaussian();
                b[i] = (float) r.nextGaussian();
            }
            Tensor x = Ops.as(Ops.fromFloats(a, new long[] {n, n}, device), p.dtype());
            Tensor y = Ops.as(Ops.fromFloats(b, new long[] {n, n}, device), p.dtype());
            // one product buffer for every run: a fresh result each time would time its page faults too, which
            // cost as much as the arithmetic on some machines and vary with the C library's heap state
            Tensor product = Ops.zeros(new long[] {n, n}, p.dtype(), device);
            for (int i = 0; i < warmups; i++) {
                try (TensorScope w = TensorScope.open()) {
                    finish(Ops.matmulInto(x, y, product));
                }
            }
            double[] times = new double[runs];
            for (int i = 0; i < runs; i++) {
                try (TensorScope w = TensorScope.open()) {
                    long t0 = System.nanoTime();
                    finish(Ops.matmulInto(x, y, product));
                    times[i] = (System.nanoTime() - t0) / 1e9;
                }
            }
            Arrays.sort(times);
            double flops = 2.0 * n * n * n;
            return new MatmulThroughput(n, p, flops / times[0], flops / times[runs / 2]);
        }
    }

    /** A CUDA matmul returns before it is done; reading one value waits for it. */
    private static void finish(Tensor t) {
        if (t.device().isCuda()) {
            t.slice(0, 0, 1).slice(1, 0, 1).item();
        }
    }

    /** E.g. {@code 172 GFLOP/s (best of 1024^3 float32 matmuls; median 165)}. */
    public String describe() {
        return String.format(Locale.ROOT, "%.0f GFLOP/s (best %d^3 %s matmul; median %.0f)", bestFlopsPerSec / 1e9,
                size, precision.name().toLowerCase(Locale.ROOT), medianFlopsPerSec / 1e9);
    }
}
