package org.layered.model.transformer;

import org.layered.weights.residency.GroupWeights;
import org.layered.engine.Tensor;

import java.util.List;

/**
 * {@code norm_out} = {@code AdaLayerNormContinuous(D, D, elementwise_affine=False, eps=1e-6)}: Linear(SiLU(temb))
 * split as <b>(scale, shift)</b> (the opposite of the blocks' order), {@code LN(x) * (1 + scale) + shift}; then
 * {@code proj_out}.
 */
final class OutputLayer {
    static final List<String> WEIGHTS = List.of("norm_out.linear.weight", "norm_out.linear.bias", "proj_out.weight",
            "proj_out.bias");

    private OutputLayer() {
    }

    /** The AdaLayerNormContinuous output (B, S, D). */
    static Tensor norm(GroupWeights w, Tensor x, Tensor siluTemb, OpProfile prof) {
        long dim = x.size(-1);
        Tensor emb = prof.linear(siluTemb, w.get("norm_out.linear.weight"), w.get("norm_out.linear.bias"));
        Tensor scale = emb.slice(-1, 0, dim).unsqueeze(1);
        Tensor shift = emb.slice(-1, dim, 2 * dim).unsqueeze(1);
        return DoubleStreamBlock.normModulate(x, shift, scale, prof);
    }

    /** {@code proj_out} (B, S, patch^2 * out channels). */
    static Tensor project(GroupWeights w, Tensor x, OpProfile prof) {
        return prof.linear(x, w.get("proj_out.weight"), w.get("proj_out.bias"));
    }
}
