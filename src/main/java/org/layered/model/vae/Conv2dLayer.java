package org.layered.model.vae;

import org.layered.engine.Ops;
import org.layered.engine.Tensor;
import org.layered.engine.TensorScope;

import java.io.IOException;

/**
 * A 2-D convolution on (N, C, H, W). Upstream's causal 3-D convolutions become one for a single frame: the causal
 * padding puts two zero frames in front of the only frame, so of a k=3 kernel only the last temporal slice
 * {@code W[:, :, 2]} meets data (zero spatial padding 1, same bias); a 1x1x1 kernel is a 1x1 convolution.
 */
final class Conv2dLayer {
    private final Tensor weight;
    private final Tensor bias;
    private final int stride;
    private final int padding;

    /** Takes over {@code weight}, replacing it by its channels-last copy (the layout of the feature maps). */
    private Conv2dLayer(Tensor weight, Tensor bias, int stride, int padding) {
        this.weight = Ops.channelsLast(weight);
        weight.close();
        this.bias = bias;
        this.stride = stride;
        this.padding = padding;
    }

    /** {@code QwenImageCausalConv3d(in, out, 3, padding=1)} for one frame: weight {@code [out, in, 3, 3, 3]}. */
    static Conv2dLayer causal3(VaeWeights w, String prefix, int in, int out) throws IOException {
        Tensor k;
        try (TensorScope tmp = TensorScope.open()) {
            Tensor full = w.load(prefix + ".weight", out, in, 3, 3, 3);
            // last temporal slice; copy() makes it contiguous so the full kernel is freed with tmp
            k = tmp.keep(full.slice(2, 2, 3).reshape(out, in, 3, 3).copy());
        }
        return new Conv2dLayer(k, w.load(prefix + ".bias", out), 1, 1);
    }

    /** {@code QwenImageCausalConv3d(in, out, 1)}: weight {@code [out, in, 1, 1, 1]}, a 1x1 convolution. */
    static Conv2dLayer causal1(VaeWeights w, String prefix, int in, int out) throws IOException {
        Tensor k;
        try (TensorScope tmp = TensorScope.open()) {
            k = tmp.keep(w.load(prefix + ".weight", out, in, 1, 1, 1).reshape(out, in, 1, 1));
        }
        return new Conv2dLayer(k, w.load(prefix + ".bias", out), 1, 0);
    }

    /** A plain {@code nn.Conv2d(in, out, k, stride, padding)}: weight {@code [out, in, k, k]}. */
    static Conv2dLayer plain(VaeWeights w, String prefix, int in, int out, int k, int stride, int padding)
            throws IOException {
        return new Conv2dLayer(w.load(prefix + ".weight", out, in, k, k), w.load(prefix + ".bias", out), stride,
                padding);
    }

    Tensor forward(Tensor x) {
        return Ops.conv2d(x, weight, bias, stride, padding);
    }

    /** The weight as a [out, in] matrix (1x1 kernels only), for use with {@link Ops#linear}. */
    Tensor matrix() {
        long[] s = weight.shape();
        return weight.reshape(s[0], s[1]);
    }

    Tensor bias() {
        return bias;
    }
}
