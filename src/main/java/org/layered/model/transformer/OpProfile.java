package org.layered.model.transformer;

import org.layered.engine.OpFlops;
import org.layered.engine.Ops;
import org.layered.engine.Tensor;

/**
 * Routes the transformer's matmul-class ops (linear layers, alone or fused with their epilogues, and fused attention)
 * and, when enabled, accumulates their wall time and FLOPs (as the engine counts them, {@link OpFlops}), so that a benchmark can tell matmul/attention time from
 * everything else (norms, modulation, copies, Java). A fused op's epilogue (bias, per-head norm and RoPE, GELU, gated
 * residual) is timed with its linear layers. Times are exact on the CPU, where ops are synchronous; on CUDA they would
 * only count kernel launches. Not thread-safe: one profile per forward at a time.
 */
public final class OpProfile {
    /** A profile that only forwards the calls. */
    public static final OpProfile OFF = new OpProfile(false);

    private final boolean enabled;
    private long linearNanos;
    private long attentionNanos;
    private double linearFlops;
    private double attentionFlops;
    private long linearCalls;
    private long attentionCalls;

    /** Groups of the non-matmul work, timed by {@link #section}. */
    public enum Section {
        /** LayerNorm and the AdaLN {@code x * (1 + scale) + shift}. */
        NORM_MODULATE,
        /** The attention output laid out as one sequence again. */
        JOIN_SPLIT
    }

    private final long[] sectionNanos = new long[Section.values().length];

    private OpProfile(boolean enabled) {
        this.enabled = enabled;
    }

    /** Runs {@code body}, adding its wall time to {@code section} when recording. */
    public Tensor section(Section section, java.util.function.Supplier<Tensor> body) {
        if (!enabled) {
            return body.get();
        }
        long t0 = System.nanoTime();
        Tensor y = body.get();
        sectionNanos[section.ordinal()] += System.nanoTime() - t0;
        return y;
    }

    /** Seconds spent in {@code section}. */
    public double sectionSeconds(Section section) {
        return sectionNanos[section.ordinal()] / 1e9;
    }

    /** A new, recording profile. */
    public static OpProfile recording() {
        return new OpProfile(true);
    }

    /** {@code x W^T + b}. */
    public Tensor linear(Tensor x, Tensor weight, Tensor bias) {
        if (!enabled) {
            return Ops.linear(x, weight, bias);
        }
        double f0 = OpFlops.ofThisThread();
        long t0 = System.nanoTime();
        Tensor y = Ops.linear(x, weight, bias);
        linearNanos += System.nanoTime() - t0;
        linearCalls++;
        linearFlops += OpFlops.ofThisThread() - f0;
        return y;
    }

    /** A fused op made of {@code layers} linear layers and their epilogue; counted as linear layers. */
    public Tensor fusedLinear(int layers, java.util.function.Supplier<Tensor> body) {
        if (!enabled) {
            return body.get();
        }
        double f0 = OpFlops.ofThisThread();
        long t0 = System.nanoTime();
        Tensor y = body.get();
        linearNanos += System.nanoTime() - t0;
        linearCalls += layers;
        linearFlops += OpFlops.ofThisThread() - f0;
        return y;
    }

    /** Fused SDPA on (B, H, T, d). */
    public Tensor attention(Tensor q, Tensor k, Tensor v, Tensor mask) {
        if (!enabled) {
            return Ops.attention(q, k, v, mask);
        }
        double f0 = OpFlops.ofThisThread();
        long t0 = System.nanoTime();
        Tensor y = Ops.attention(q, k, v, mask);
        attentionNanos += System.nanoTime() - t0;
        attentionCalls++;
        attentionFlops += OpFlops.ofThisThread() - f0;
        return y;
    }

    public boolean enabled() {
        return enabled;
    }

    public double linearSeconds() {
        return linearNanos / 1e9;
    }

    public double attentionSeconds() {
        return attentionNanos / 1e9;
    }

    public double linearFlops() {
        return linearFlops;
    }

    public double attentionFlops() {
        return attentionFlops;
    }

    public long linearCalls() {
        return linearCalls;
    }

    public long attentionCalls() {
        return attentionCalls;
    }
}
