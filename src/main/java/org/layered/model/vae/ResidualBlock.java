package org.layered.model.vae;

import org.layered.engine.Ops;
import org.layered.engine.Tensor;
import org.layered.engine.TensorScope;

import java.io.IOException;

/**
 * {@code QwenImageResidualBlock(in, out)}: {@code conv2(silu(norm2(conv1(silu(norm1(x)))))) + shortcut(x)}, the
 * shortcut a 1x1 convolution when the width changes (dropout is inactive at inference).
 */
final class ResidualBlock implements VaeBlock {
    private final ChannelRmsNorm norm1;
    private final Conv2dLayer conv1;
    private final ChannelRmsNorm norm2;
    private final Conv2dLayer conv2;
    private final Conv2dLayer shortcut; // null = identity
    private final RowStrips.Budget budget;
    private final int in;
    private final int out;

    ResidualBlock(VaeWeights w, String prefix, int in, int out, RowStrips.Budget budget) throws IOException {
        this.budget = budget;
        this.in = in;
        this.out = out;
        norm1 = ChannelRmsNorm.load(w, prefix + ".norm1", in, false);
        conv1 = Conv2dLayer.causal3(w, prefix + ".conv1", in, out);
        norm2 = ChannelRmsNorm.load(w, prefix + ".norm2", out, false);
        conv2 = Conv2dLayer.causal3(w, prefix + ".conv2", out, out);
        shortcut = in != out ? Conv2dLayer.causal1(w, prefix + ".conv_shortcut", in, out) : null;
    }

    @Override
    public Tensor forward(Tensor x) {
        try (TensorScope s = TensorScope.open()) {
            Tensor h = shortcut != null ? shortcut.forward(x) : x;
            Tensor y = RowStrips.apply(x, 1, rowBytes(x, Math.max(in, out)), budget,
                    (strip, a, b) -> normActConv(strip, norm1, conv1));
            Tensor z = RowStrips.apply(y, 1, rowBytes(y, out), budget, (strip, a, b) -> {
                try (TensorScope st = TensorScope.open()) {
                    Tensor c = normActConv(strip, norm2, conv2);
                    return st.keep(c.add(h.slice(2, a, b)));
                }
            });
            y.close();
            return s.keep(z);
        }
    }

    /** Estimated bytes of the largest temporary per input row (float32 work tensors of the wider side). */
    static long rowBytes(Tensor x, int channels) {
        return x.size(0) * channels * x.size(3) * 4L;
    }

    /** {@code conv(silu(norm(x)))} in row strips within {@code budget}. */
    static Tensor normActConvStrips(Tensor x, ChannelRmsNorm norm, Conv2dLayer conv, int channels,
            RowStrips.Budget budget) {
        return RowStrips.apply(x, 1, rowBytes(x, channels), budget, (strip, a, b) -> normActConv(strip, norm, conv));
    }

    /** {@code conv(silu(norm(x)))}, freeing the full-size temporary as soon as it is consumed. */
    static Tensor normActConv(Tensor x, ChannelRmsNorm norm, Conv2dLayer conv) {
        try (TensorScope s = TensorScope.open()) {
            Tensor a = norm.forwardSilu(x);
            Tensor c = conv.forward(a);
            a.close();
            return s.keep(c);
        }
    }
}
