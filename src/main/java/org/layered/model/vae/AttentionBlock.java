package org.layered.model.vae;

import org.layered.engine.Ops;
import org.layered.engine.Tensor;
import org.layered.engine.TensorScope;

import java.io.IOException;

/**
 * {@code QwenImageAttentionBlock(C)}: single-head self-attention over the H*W positions of each frame,
 * {@code x + proj(sdpa(q, k, v))} with q, k, v = channel thirds of {@code to_qkv(norm(x))}, scale 1/sqrt(C).
 *
 * <p>The 1x1 convolutions are applied as {@link Ops#linear} on the (N, HW, C) token layout, which yields the same
 * contiguous (N, 1, HW, 3C) tensor upstream builds before chunking, so q, k and v reach the fused attention with a
 * unit last stride (the memory-efficient kernel; no HW x HW score matrix).
 */
final class AttentionBlock implements VaeBlock {
    private final ChannelRmsNorm norm;
    private final Tensor qkvWeight; // [3C, C]
    private final Tensor qkvBias;
    private final Tensor projWeight; // [C, C]
    private final Tensor projBias;
    private final int channels;

    AttentionBlock(VaeWeights w, String prefix, int channels) throws IOException {
        this.channels = channels;
        norm = ChannelRmsNorm.load(w, prefix + ".norm", channels, true);
        Conv2dLayer qkv = Conv2dLayer.plain(w, prefix + ".to_qkv", channels, 3 * channels, 1, 1, 0);
        Conv2dLayer proj = Conv2dLayer.plain(w, prefix + ".proj", channels, channels, 1, 1, 0);
        qkvWeight = qkv.matrix();
        qkvBias = qkv.bias();
        projWeight = proj.matrix();
        projBias = proj.bias();
    }

    @Override
    public Tensor forward(Tensor x) {
        long nb = x.size(0);
        long c = channels;
        long h = x.size(2);
        long w = x.size(3);
        try (TensorScope s = TensorScope.open()) {
            Tensor qkv;
            try (TensorScope n = TensorScope.open()) { // the normalised map is freed once projected
                Tensor tokens = norm.forward(x).reshape(nb, c, h * w).transpose(1, 2); // (N, HW, C) view
                qkv = n.keep(Ops.linear(tokens, qkvWeight, qkvBias).unsqueeze(1)); // (N, 1, HW, 3C)
            }
            Tensor o;
            try (TensorScope a = TensorScope.open()) {
                o = a.keep(Ops.attention(qkv.slice(3, 0, c), qkv.slice(3, c, 2 * c), qkv.slice(3, 2 * c, 3 * c),
                        null).squeeze(1)); // (N, HW, C)
            }
            qkv.close();
            Tensor p = Ops.linear(o, projWeight, projBias); // (N, HW, C)
            o.close();
            Tensor back = p.transpose(1, 2).reshape(nb, c, h, w);
            return s.keep(x.add(back));
        }
    }
}
