package org.layered.model.transformer;

import org.layered.weights.residency.GroupWeights;
import org.layered.engine.Ops;
import org.layered.engine.Tensor;
import org.layered.engine.TensorScope;

import java.util.List;

/**
 * Upstream {@code QwenDoubleStreamAttnProcessor2_0}: per-stream q/k/v projections, per-head RMS QK norm (eps 1e-6,
 * learnable scale), Layer3D RoPE on q and k, one fused SDPA over the joint sequence {@code [text, image]} (text first)
 * with the optional key mask, then {@code to_out.0} (image) and {@code to_add_out} (text).
 */
final class JointAttention {
    static final List<String> WEIGHTS = List.of(
            "attn.to_q.weight", "attn.to_q.bias", "attn.to_k.weight", "attn.to_k.bias",
            "attn.to_v.weight", "attn.to_v.bias",
            "attn.add_q_proj.weight", "attn.add_q_proj.bias", "attn.add_k_proj.weight", "attn.add_k_proj.bias",
            "attn.add_v_proj.weight", "attn.add_v_proj.bias",
            "attn.to_out.0.weight", "attn.to_out.0.bias", "attn.to_add_out.weight", "attn.to_add_out.bias",
            "attn.norm_q.weight", "attn.norm_k.weight", "attn.norm_added_q.weight", "attn.norm_added_k.weight");

    private JointAttention() {
    }

    /**
     * Memory: q, k and v are each built and joined before the next one starts, their per-stream parts freed; the
     * peak is the joined q, k, v and the attention output, (L + S) x D each, besides the inputs.
     *
     * @param img  modulated image stream (B, S, D)
     * @param txt  modulated text stream (B, L, D)
     * @param mask null or bool (B, 1, 1, L + S), true = may attend
     * @return {image output (B, S, D), text output (B, L, D)}
     */
    static Tensor[] forward(GroupWeights w, Tensor img, Tensor txt, RopeFactors rope, Tensor mask, int heads,
            OpProfile prof) {
        long s = img.size(1);
        long l = txt.size(1);
        long dim = img.size(2);
        Tensor joint;
        try (TensorScope scope = TensorScope.open()) {
            Tensor q = joined(w, "attn.add_q_proj", "attn.norm_added_q", "attn.to_q", "attn.norm_q", txt, img, rope,
                    heads, prof);
            Tensor k = joined(w, "attn.add_k_proj", "attn.norm_added_k", "attn.to_k", "attn.norm_k", txt, img, rope,
                    heads, prof);
            Tensor v = joined(w, "attn.add_v_proj", null, "attn.to_v", null, txt, img, rope, heads, prof);
            Tensor att = prof.attention(q, k, v, mask);
            q.close();
            k.close();
            v.close();
            // (B, H, L+S, hd) -> (B, L+S, D): a copy
            joint = scope.keep(prof.section(OpProfile.Section.JOIN_SPLIT,
                    () -> att.permute(0, 2, 1, 3).reshape(img.size(0), l + s, dim)));
        }
        try (TensorScope scope = TensorScope.open()) {
            Tensor txtOut = prof.linear(joint.slice(1, 0, l), w.get("attn.to_add_out.weight"),
                    w.get("attn.to_add_out.bias"));
            Tensor imgOut = prof.linear(joint.slice(1, l, l + s), w.get("attn.to_out.0.weight"),
                    w.get("attn.to_out.0.bias"));
            joint.close();
            return new Tensor[] {scope.keep(imgOut), scope.keep(txtOut)};
        }
    }

    /**
     * One of q, k, v over the joint sequence, text first: both streams projected to (B, n, H, hd), RMS-normed and
     * rotated when norm weights are named, joined and laid out (B, H, L + S, hd). Only the result stays.
     */
    private static Tensor joined(GroupWeights w, String textProj, String textNorm, String imageProj,
            String imageNorm, Tensor txt, Tensor img, RopeFactors rope, int heads, OpProfile prof) {
        try (TensorScope scope = TensorScope.open()) {
            Tensor t = normRope(w, textNorm, project(w, textProj, txt, prof, heads), rope.txtCos(), rope.txtSin(),
                    prof);
            Tensor i = normRope(w, imageNorm, project(w, imageProj, img, prof, heads), rope.imgCos(), rope.imgSin(),
                    prof);
            return scope.keep(prof.section(OpProfile.Section.JOIN_SPLIT,
                    () -> Ops.concat(List.of(t, i), 1).permute(0, 2, 1, 3)));
        }
    }

    /** Per-head RMS norm then RoPE when {@code norm} names the weights, freeing {@code x}; else {@code x}. */
    private static Tensor normRope(GroupWeights w, String norm, Tensor x, Tensor cos, Tensor sin, OpProfile prof) {
        if (norm == null) {
            return x;
        }
        Tensor out;
        try (TensorScope scope = TensorScope.open()) {
            Tensor normed = prof.section(OpProfile.Section.QK_NORM, () -> rmsNorm(x, w.get(norm + ".weight")));
            out = scope.keep(prof.section(OpProfile.Section.ROPE, () -> Layer3DRope.rotate(normed, cos, sin)));
        }
        x.close();
        return out;
    }

    /** A projection laid out (B, n, H, hd); the returned view is the only handle on its memory. */
    private static Tensor project(GroupWeights w, String name, Tensor x, OpProfile prof, int heads) {
        try (TensorScope scope = TensorScope.open()) {
            return scope.keep(prof.linear(x, w.get(name + ".weight"), w.get(name + ".bias")).reshape(x.size(0),
                    x.size(1), heads, x.size(2) / heads));
        }
    }

    /** diffusers RMSNorm: statistics in float32, result in the input dtype, times the weight. */
    static Tensor rmsNorm(Tensor x, Tensor weight) {
        try (TensorScope scope = TensorScope.open()) {
            return scope.keep(Ops.rmsNormalize(x, -1, TransformerConfig.EPS).mul(weight));
        }
    }
}
