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
        Tensor[] mi = chunks(prof.linear(siluTemb, w.get("img_mod.1.weight"), w.get("img_mod.1.bias")), dim);
        Tensor[] mt = chunks(prof.linear(siluTemb, w.get("txt_mod.1.weight"), w.get("txt_mod.1.bias")), dim);

        // Sub-scopes free each part's intermediates (modulated inputs, q/k/v) before the next part runs.
        Tensor[] streams;
        try (TensorScope s = TensorScope.open()) {
            Tensor joint;
            try (TensorScope a = TensorScope.open()) {
                Tensor imgIn = normModulate(img, mi[0], mi[1], prof);
                Tensor txtIn = normModulate(txt, mt[0], mt[1], prof);
                joint = a.keep(JointAttention.attend(w, imgIn, txtIn, rope, mask, heads, prof));
            }
            streams = JointAttention.gatedOutput(w, img, txt, mi[2], mt[2], joint, prof);
            s.keep(streams[0]);
            s.keep(streams[1]);
        }
        img = feedForward(w, "img_mlp", streams[0], mi, prof);
        streams[0].close();
        txt = feedForward(w, "txt_mlp", streams[1], mt, prof);
        streams[1].close();

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

    /** {@code LN(x) * (1 + scale) + shift}, LayerNorm without affine, eps 1e-6: one fused op. */
    static Tensor normModulate(Tensor x, Tensor shift, Tensor scale, OpProfile prof) {
        return prof.section(OpProfile.Section.NORM_MODULATE,
                () -> Ops.layerNormModulate(x, shift, scale, TransformerConfig.EPS));
    }

    /**
     * {@code x + gate2 * FeedForward(LN(x) * (1 + scale2) + shift2)}, FeedForward(dim, "gelu-approximate") being
     * Linear(D, 4D), GELU(tanh), Linear(4D, D): the modulated input, the 4D-wide hidden layer (GELU in place; the
     * input freed), then the second layer with the gated residual written into its output.
     */
    private static Tensor feedForward(GroupWeights w, String name, Tensor x, Tensor[] mod, OpProfile prof) {
        Tensor in = normModulate(x, mod[3], mod[4], prof);
        Tensor w1 = w.get(name + ".net.0.proj.weight");
        Tensor w2 = w.get(name + ".net.2.weight");
        Tensor hidden = prof.fusedLinear(1, () -> Ops.linearGeluTanh(in, w1, w.get(name + ".net.0.proj.bias")));
        in.close();
        Tensor out = prof.fusedLinear(1, () -> Ops.linearGatedResidual(x, mod[5], hidden, w2, w.get(name + ".net.2.bias")));
        hidden.close();
        return out;
    }
}
