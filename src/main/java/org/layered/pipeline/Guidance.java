package org.layered.pipeline;

import org.layered.engine.DType;
import org.layered.engine.Ops;
import org.layered.engine.Tensor;
import org.layered.engine.TensorScope;

import java.util.Arrays;

/**
 * True classifier-free guidance as inlined in {@code QwenImageLayeredPipeline.__call__}:
 * {@code comb = uncond + s * (cond - uncond)}, optionally rescaled per token to the conditional prediction's norm
 * ({@code cfg_normalize}). Results belong to the caller's current scope and keep the inputs' dtype.
 */
public final class Guidance {
    private Guidance() {
    }

    /**
     * Whether upstream runs the unconditional pass at all: {@code true_cfg_scale > 1} and a negative prompt (or
     * negative embeddings) was given.
     */
    public static boolean isActive(double trueCfgScale, boolean hasNegativePrompt) {
        return trueCfgScale > 1 && hasNegativePrompt;
    }

    /** {@code uncond + scale * (cond - uncond)}. */
    public static Tensor combine(Tensor cond, Tensor uncond, double scale) {
        requireSameShape(cond, uncond);
        try (TensorScope s = TensorScope.open()) {
            return s.keep(uncond.add(cond.sub(uncond).mul(scale)));
        }
    }

    /**
     * {@code combined * (||cond|| / ||combined||)} with L2 norms over the last axis (per token, keepdim). No epsilon,
     * as upstream: an all-zero combined token gives NaN there too.
     */
    public static Tensor normalize(Tensor cond, Tensor combined) {
        requireSameShape(cond, combined);
        try (TensorScope s = TensorScope.open()) {
            Tensor ratio = norm(cond).div(norm(combined));
            return s.keep(combined.mul(ratio));
        }
    }

    /** The whole guidance step: {@link #combine}, then {@link #normalize} when {@code cfgNormalize}. */
    public static Tensor apply(Tensor cond, Tensor uncond, double scale, boolean cfgNormalize) {
        try (TensorScope s = TensorScope.open()) {
            Tensor comb = combine(cond, uncond, scale);
            return s.keep(cfgNormalize ? normalize(cond, comb) : comb);
        }
    }

    /**
     * {@code torch.norm(x, dim=-1, keepdim=True)}: reduced-precision inputs are accumulated in float32 and the norm
     * is returned in the input's dtype, as torch does. (Summation order differs from torch's vectorised CPU kernel
     * by a few ulps; the goldens' tolerance is 1e-6.)
     */
    static Tensor norm(Tensor x) {
        boolean reduced = x.dtype() == DType.BF16 || x.dtype() == DType.F16;
        Tensor sq = (reduced ? Ops.cast(x, DType.F32) : x).square();
        // pow(0.5), not sqrt(): the CPU libtorch behind Tensor.sqrt() (vectorised math library) is off by an ulp on
        // some values, while pow's 0.5 special case is correctly rounded like torch's norm.
        return Ops.as(sq.sum(new int[] {x.rank() - 1}, true).pow(0.5), x.dtype());
    }

    private static void requireSameShape(Tensor a, Tensor b) {
        if (!Arrays.equals(a.shape(), b.shape())) {
            throw new IllegalArgumentException("guidance inputs differ in shape: " + Arrays.toString(a.shape())
                    + " vs " + Arrays.toString(b.shape()));
        }
    }
}
