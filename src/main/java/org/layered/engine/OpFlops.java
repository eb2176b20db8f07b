package org.layered.engine;

/**
 * The floating-point operations of the matmul-class ops run through the engine on the calling thread: linear layers
 * (alone or fused with their epilogues), matrix products, convolutions and attention; a multiply-add counts as two,
 * biases and epilogues are not counted. Benchmarks divide the difference of two readings by the time between them
 * to compare a stage with the machine's matmul rate. Counted per thread because the ops run synchronously on the
 * thread that calls them (on the CPU; on CUDA the count is of the work launched), so a reading is not disturbed by
 * other threads.
 */
public final class OpFlops {
    private static final ThreadLocal<double[]> COUNT = ThreadLocal.withInitial(() -> new double[1]);

    private OpFlops() {
    }

    /** FLOPs counted on this thread since it started. */
    public static double ofThisThread() {
        return COUNT.get()[0];
    }

    static void add(double flops) {
        COUNT.get()[0] += flops;
    }

    /** {@code x W^T} with {@code weight} [out, in], for every row of x. */
    static double linear(Tensor x, Tensor weight) {
        double rows = x.numel() / (double) x.size(-1);
        return 2.0 * rows * weight.size(0) * weight.size(1);
    }

    /** {@code a @ b} (with broadcasting) whose product is {@code product}. */
    static double matmul(Tensor a, Tensor product) {
        return 2.0 * product.numel() * a.size(-1);
    }

    /** {@code softmax(q k^T) v} on (..., Lq, d) and (..., Lk, d): {@code q k^T} and {@code p v}. */
    static double attention(Tensor q, Tensor k, Tensor v) {
        double rows = q.numel() / (double) q.size(-1); // batch x heads x Lq
        return 2.0 * rows * k.size(-2) * (q.size(-1) + v.size(-1));
    }

    /** A convolution with {@code weight} [out, in / groups, kh, kw] whose output is {@code y}. */
    static double convolution(Tensor weight, Tensor y) {
        return 2.0 * y.numel() * weight.size(1) * weight.size(2) * weight.size(3);
    }
}
