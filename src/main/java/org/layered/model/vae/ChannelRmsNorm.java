package org.layered.model.vae;

import org.layered.engine.DType;
import org.layered.engine.Ops;
import org.layered.engine.Tensor;
import org.layered.engine.TensorScope;

import java.io.IOException;

/**
 * {@code QwenImageRMS_norm} over the channel axis of (N, C, H, W):
 * {@code F.normalize(x, dim=1) * sqrt(C) * gamma} (no bias, no mean subtraction). As upstream, a bf16/fp16 input is
 * normalised in float32 and cast back before the scaling. {@code sqrt(C) * gamma} is folded into one per-channel
 * factor at load time (one full-size multiplication instead of two; a last-bit difference in float32).
 */
final class ChannelRmsNorm {
    private final Tensor scaledGamma; // sqrt(C) * gamma, [C, 1, 1], compute dtype

    private ChannelRmsNorm(Tensor scaledGamma) {
        this.scaledGamma = scaledGamma;
    }

    /** {@code prefix.gamma} stored as {@code [C,1,1,1]} (residual blocks, heads) or {@code [C,1,1]} (attention). */
    static ChannelRmsNorm load(VaeWeights w, String prefix, int channels, boolean images) throws IOException {
        Tensor g;
        try (TensorScope tmp = TensorScope.open()) {
            Tensor stored = images ? w.load(prefix + ".gamma", channels, 1, 1)
                    : w.load(prefix + ".gamma", channels, 1, 1, 1);
            // the product is formed in float32 and rounded once to the compute dtype
            Tensor f = Ops.cast(stored.reshape(channels, 1, 1), DType.F32).mul(Math.sqrt(channels));
            g = tmp.keep(Ops.as(f, w.dtype()));
        }
        return new ChannelRmsNorm(g);
    }

    Tensor forward(Tensor x) {
        return Ops.channelRmsNorm(x, scaledGamma, false);
    }

    /** {@code silu(forward(x))} in one op. */
    Tensor forwardSilu(Tensor x) {
        return Ops.channelRmsNorm(x, scaledGamma, true);
    }
}
