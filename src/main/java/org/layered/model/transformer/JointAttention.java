package org.layered.model.transformer;

import org.layered.weights.residency.GroupWeights;
import org.layered.engine.Ops;
import org.layered.engine.Tensor;

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
     * @param img  modulated image stream (B, S, D)
     * @param txt  modulated text stream (B, L, D)
     * @param mask null or bool (B, 1, 1, L + S), true = may attend
     * @return {image output (B, S, D), text output (B, L, D)}
     */
    static Tensor[] forward(GroupWeights w, Tensor img, Tensor txt, RopeFactors rope, Tensor mask, int heads,
            OpProfile prof) {
        long b = img.size(0);
        long s = img.size(1);
        long l = txt.size(1);
        long dim = img.size(2);
        long hd = dim / heads;

        Tensor qi = project(w, "attn.to_q", img, prof, b, s, heads, hd);
        Tensor ki = project(w, "attn.to_k", img, prof, b, s, heads, hd);
        Tensor vi = project(w, "attn.to_v", img, prof, b, s, heads, hd);
        Tensor qt = project(w, "attn.add_q_proj", txt, prof, b, l, heads, hd);
        Tensor kt = project(w, "attn.add_k_proj", txt, prof, b, l, heads, hd);
        Tensor vt = project(w, "attn.add_v_proj", txt, prof, b, l, heads, hd);

        qi = qkNormRope(qi, w.get("attn.norm_q.weight"), rope.imgCos(), rope.imgSin(), prof);
        ki = qkNormRope(ki, w.get("attn.norm_k.weight"), rope.imgCos(), rope.imgSin(), prof);
        qt = qkNormRope(qt, w.get("attn.norm_added_q.weight"), rope.txtCos(), rope.txtSin(), prof);
        kt = qkNormRope(kt, w.get("attn.norm_added_k.weight"), rope.txtCos(), rope.txtSin(), prof);

        // (B, L+S, H, hd) -> (B, H, L+S, hd), text first
        Tensor q = join(qt, qi, prof);
        Tensor k = join(kt, ki, prof);
        Tensor v = join(vt, vi, prof);
        Tensor att = prof.attention(q, k, v, mask);
        Tensor joint = prof.section(OpProfile.Section.JOIN_SPLIT,
                () -> att.permute(0, 2, 1, 3).reshape(b, l + s, dim));

        Tensor txtOut = prof.linear(joint.slice(1, 0, l), w.get("attn.to_add_out.weight"),
                w.get("attn.to_add_out.bias"));
        Tensor imgOut = prof.linear(joint.slice(1, l, l + s), w.get("attn.to_out.0.weight"),
                w.get("attn.to_out.0.bias"));
        return new Tensor[] {imgOut, txtOut};
    }

    private static Tensor qkNormRope(Tensor x, Tensor weight, Tensor cos, Tensor sin, OpProfile prof) {
        Tensor normed = prof.section(OpProfile.Section.QK_NORM, () -> rmsNorm(x, weight));
        return prof.section(OpProfile.Section.ROPE, () -> Layer3DRope.rotate(normed, cos, sin));
    }

    private static Tensor join(Tensor txt, Tensor img, OpProfile prof) {
        return prof.section(OpProfile.Section.JOIN_SPLIT,
                () -> Ops.concat(List.of(txt, img), 1).permute(0, 2, 1, 3));
    }

    private static Tensor project(GroupWeights w, String name, Tensor x, OpProfile prof, long b, long n, int heads,
            long hd) {
        return prof.linear(x, w.get(name + ".weight"), w.get(name + ".bias")).reshape(b, n, heads, hd);
    }

    /** diffusers RMSNorm: statistics in float32, result in the input dtype, times the weight. */
    static Tensor rmsNorm(Tensor x, Tensor weight) {
        return Ops.rmsNormalize(x, -1, TransformerConfig.EPS).mul(weight);
    }
}
