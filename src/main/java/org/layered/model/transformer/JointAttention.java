package org.layered.model.transformer;

import org.layered.weights.residency.GroupWeights;
import org.layered.engine.Ops;
import org.layered.engine.Tensor;

import java.util.List;

/**
 * Upstream {@code QwenDoubleStreamAttnProcessor2_0}: per-stream q/k/v projections, per-head RMS QK norm (eps 1e-6,
 * learnable scale), Layer3D RoPE on q and k, one fused SDPA over the joint sequence {@code [text, image]} (text first)
 * with the optional key mask, then {@code to_out.0} (image) and {@code to_add_out} (text).
 *
 * <p>Each of q, k and v is one fused op that projects both streams straight into the joint sequence (and for q and
 * k normalises and rotates it in place), so the only tensors of attention size are q, k, v and the attention output;
 * the output projections are fused with the block's gated residuals ({@link #gatedOutput}).
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
     * The attention over the joint sequence, before the output projections.
     *
     * @param img  modulated image stream (B, S, D)
     * @param txt  modulated text stream (B, L, D)
     * @param mask null or bool (B, 1, 1, L + S), true = may attend
     * @return the attention output as one sequence (B, L + S, D), text first
     */
    static Tensor attend(GroupWeights w, Tensor img, Tensor txt, RopeFactors rope, Tensor mask, int heads,
            OpProfile prof) {
        long b = img.size(0);
        long tokens = txt.size(1) + img.size(1);
        long dim = img.size(2);
        Tensor q = normedRotated(w, "attn.add_q_proj", "attn.norm_added_q", "attn.to_q", "attn.norm_q", txt, img,
                rope, heads, prof);
        Tensor k = normedRotated(w, "attn.add_k_proj", "attn.norm_added_k", "attn.to_k", "attn.norm_k", txt, img,
                rope, heads, prof);
        Tensor v = prof.fusedLinear(2, () -> Ops.jointHeads(txt, img, w.get("attn.add_v_proj.weight"),
                w.get("attn.add_v_proj.bias"), w.get("attn.to_v.weight"), w.get("attn.to_v.bias"), heads));
        Tensor att = prof.attention(q, k, v, mask);
        q.close();
        k.close();
        v.close();
        // (B, H, L+S, hd) -> (B, L+S, D); libtorch's CPU attention already lays its output out that way (a view)
        return prof.section(OpProfile.Section.JOIN_SPLIT, () -> att.permute(0, 2, 1, 3).reshape(b, tokens, dim));
    }

    /**
     * {@code img + gateImg * to_out.0(joint image rows)} and {@code txt + gateTxt * to_add_out(joint text rows)}: the
     * output projections fused with the block's gated residuals.
     *
     * @return {new image stream, new text stream}
     */
    static Tensor[] gatedOutput(GroupWeights w, Tensor img, Tensor txt, Tensor gateImg, Tensor gateTxt, Tensor joint,
            OpProfile prof) {
        long l = txt.size(1);
        Tensor jointImg = joint.slice(1, l, joint.size(1));
        Tensor jointTxt = joint.slice(1, 0, l);
        Tensor imgOut = gatedLinear(w, "attn.to_out.0", img, gateImg, jointImg, prof);
        Tensor txtOut = gatedLinear(w, "attn.to_add_out", txt, gateTxt, jointTxt, prof);
        jointImg.close();
        jointTxt.close();
        return new Tensor[] {imgOut, txtOut};
    }

    private static Tensor gatedLinear(GroupWeights w, String name, Tensor x, Tensor gate, Tensor a, OpProfile prof) {
        Tensor weight = w.get(name + ".weight");
        return prof.fusedLinear(1, () -> Ops.linearGatedResidual(x, gate, a, weight, w.get(name + ".bias")));
    }

    /** q or k over the joint sequence (B, H, L + S, hd): both streams projected, RMS-normed per head and rotated. */
    private static Tensor normedRotated(GroupWeights w, String textProj, String textNorm, String imageProj,
            String imageNorm, Tensor txt, Tensor img, RopeFactors rope, int heads, OpProfile prof) {
        return prof.fusedLinear(2, () -> Ops.jointQk(txt, img, w.get(textProj + ".weight"),
                w.get(textProj + ".bias"), w.get(imageProj + ".weight"), w.get(imageProj + ".bias"),
                w.get(textNorm + ".weight"), w.get(imageNorm + ".weight"), rope.text(), rope.image(), heads,
                TransformerConfig.EPS));
    }
}
