package org.layered.model.transformer;

import org.layered.weights.residency.GroupWeights;
import org.layered.engine.DType;
import org.layered.engine.Ops;
import org.layered.engine.Tensor;
import org.layered.engine.TensorScope;

import java.util.ArrayList;
import java.util.List;

/**
 * Upstream {@code QwenImageTransformerBlock} ({@code zero_cond_t=False}): AdaLN modulation of both streams from
 * {@code temb} ({@code img_mod}/{@code txt_mod} = Linear(SiLU(temb)) split as (shift, scale, gate) x 2), LayerNorm
 * without affine (eps 1e-6), joint attention, gated residuals, GELU-tanh MLPs, and the fp16 clip to +-65504.
 */
final class DoubleStreamBlock {
    static final List<String> WEIGHTS;

    static {
        List<String> names = new ArrayList<>(List.of("img_mod.1.weight", "img_mod.1.bias", "txt_mod.1.weight",
                "txt_mod.1.bias"));
        names.addAll(JointAttention.WEIGHTS);
        for (String mlp : List.of("img_mlp", "txt_mlp")) {
            names.addAll(List.of(mlp + ".net.0.proj.weight", mlp + ".net.0.proj.bias", mlp + ".net.2.weight",
                    mlp + ".net.2.bias"));
        }
        WEIGHTS = List.copyOf(names);
    }

    private DoubleStreamBlock() {
    }

    /** The checkpoint prefix of block {@code i}. */
    static String prefix(int i) {
        return "transformer_blocks." + i + ".";
    }

    /**
     * One block.
     *
     * @param img      image stream (B, S, D)
     * @param txt      text stream (B, L, D)
     * @param siluTemb SiLU(temb) (B, D), shared by every block
     * @return {new text stream, new image stream} (upstream's return order)
     */
    static Tensor[] forward(GroupWeights w, Tensor img, Tensor txt, Tensor siluTemb, RopeFactors rope, Tensor mask,
            int heads, OpProfile prof) {
        long dim = img.size(-1);
        Tensor imgMod = prof.linear(siluTemb, w.get("img_mod.1.weight"), w.get("img_mod.1.bias"));
        Tensor txtMod = prof.linear(siluTemb, w.get("txt_mod.1.weight"), w.get("txt_mod.1.bias"));
        Tensor[] mi = chunks(imgMod, dim);
        Tensor[] mt = chunks(txtMod, dim);

        // Sub-scopes free each part's intermediates (q/k/v, the MLP's 4x-wide hidden) before the next part runs.
        Tensor[] attn;
        try (TensorScope s = TensorScope.open()) {
            Tensor imgIn = normModulate(img, mi[0], mi[1], prof);
            Tensor txtIn = normModulate(txt, mt[0], mt[1], prof);
            attn = JointAttention.forward(w, imgIn, txtIn, rope, mask, heads, prof);
            s.keep(attn[0]);
            s.keep(attn[1]);
        }
        img = gatedAdd(img, mi[2], attn[0], prof);
        attn[0].close();
        txt = gatedAdd(txt, mt[2], attn[1], prof);
        attn[1].close();

        img = mlpResidual(w, "img_mlp", img, mi, prof);
        txt = mlpResidual(w, "txt_mlp", txt, mt, prof);

        if (txt.dtype() == DType.F16) {
            txt = txt.clamp(-65504, 65504);
        }
        if (img.dtype() == DType.F16) {
            img = img.clamp(-65504, 65504);
        }
        return new Tensor[] {txt, img};
    }

    /** (B, 6D) -> six (B, 1, D) tensors: shift1, scale1, gate1, shift2, scale2, gate2. */
    private static Tensor[] chunks(Tensor mod, long dim) {
        Tensor[] out = new Tensor[6];
        for (int i = 0; i < 6; i++) {
            out[i] = mod.slice(-1, i * dim, (i + 1) * dim).unsqueeze(1);
        }
        return out;
    }

    /** {@code LN(x) * (1 + scale) + shift}, LayerNorm without affine, eps 1e-6; at most two temporaries live. */
    static Tensor normModulate(Tensor x, Tensor shift, Tensor scale, OpProfile prof) {
        return prof.section(OpProfile.Section.NORM_MODULATE, () -> {
            try (TensorScope s = TensorScope.open()) {
                Tensor normed = Ops.layerNorm(x, TransformerConfig.EPS);
                Tensor scaled = normed.mul(scale.add(1.0));
                normed.close();
                return s.keep(scaled.add(shift));
            }
        });
    }

    /** {@code x + gate * y}. */
    private static Tensor gatedAdd(Tensor x, Tensor gate, Tensor y, OpProfile prof) {
        return prof.section(OpProfile.Section.RESIDUAL, () -> {
            try (TensorScope s = TensorScope.open()) {
                return s.keep(x.add(gate.mul(y)));
            }
        });
    }

    /** {@code x + gate2 * MLP(LN(x) * (1 + scale2) + shift2)}, the MLP's intermediates freed on return. */
    private static Tensor mlpResidual(GroupWeights w, String name, Tensor x, Tensor[] mod, OpProfile prof) {
        try (TensorScope s = TensorScope.open()) {
            Tensor y = mlp(w, name, normModulate(x, mod[3], mod[4], prof), prof);
            return s.keep(gatedAdd(x, mod[5], y, prof));
        }
    }

    /**
     * FeedForward(dim, activation "gelu-approximate"): Linear(D, 4D), GELU(tanh), Linear(4D, D); frees {@code x} and
     * each 4D-wide temporary as soon as the next op has consumed it.
     */
    private static Tensor mlp(GroupWeights w, String name, Tensor x, OpProfile prof) {
        Tensor h = prof.linear(x, w.get(name + ".net.0.proj.weight"), w.get(name + ".net.0.proj.bias"));
        x.close();
        Tensor a = prof.section(OpProfile.Section.ACTIVATION, () -> Ops.geluTanh(h));
        h.close();
        Tensor y = prof.linear(a, w.get(name + ".net.2.weight"), w.get(name + ".net.2.bias"));
        a.close();
        return y;
    }
}
