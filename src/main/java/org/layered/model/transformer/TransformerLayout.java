package org.layered.model.transformer;

import org.layered.weights.residency.WeightGroup;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The diffusers state-dict layout of a {@code QwenImageTransformer2DModel} for a config: every tensor with its shape,
 * and the weight groups the forward pass materialises together (input layers, one per block, output layers). The
 * loader checks checkpoints against these shapes, the memory planner sizes the released model from them, the
 * benchmarks write random checkpoints with them.
 */
public final class TransformerLayout {
    private TransformerLayout() {
    }

    /** Name to shape, in module order. */
    public static Map<String, long[]> parameterShapes(TransformerConfig c) {
        long d = c.innerDim();
        long j = c.jointAttentionDim();
        Map<String, long[]> m = new LinkedHashMap<>();
        linear(m, "img_in", d, c.inChannels());
        m.put("txt_norm.weight", new long[] {j});
        linear(m, "txt_in", d, j);
        linear(m, "time_text_embed.timestep_embedder.linear_1", d, TransformerConfig.TIME_PROJ_DIM);
        linear(m, "time_text_embed.timestep_embedder.linear_2", d, d);
        if (c.useAdditionalTCond()) {
            m.put(TimestepEmbedding.ADDITION, new long[] {2, d});
        }
        for (int i = 0; i < c.numLayers(); i++) {
            String p = DoubleStreamBlock.prefix(i);
            linear(m, p + "img_mod.1", 6 * d, d);
            linear(m, p + "txt_mod.1", 6 * d, d);
            for (String a : List.of("to_q", "to_k", "to_v", "add_q_proj", "add_k_proj", "add_v_proj", "to_out.0",
                    "to_add_out")) {
                linear(m, p + "attn." + a, d, d);
            }
            for (String n : List.of("norm_q", "norm_k", "norm_added_q", "norm_added_k")) {
                m.put(p + "attn." + n + ".weight", new long[] {c.attentionHeadDim()});
            }
            for (String mlp : List.of("img_mlp", "txt_mlp")) {
                linear(m, p + mlp + ".net.0.proj", 4 * d, d);
                linear(m, p + mlp + ".net.2", d, 4 * d);
            }
        }
        linear(m, "norm_out.linear", 2 * d, d);
        linear(m, "proj_out", c.outFeatures(), d);
        return m;
    }

    /** Total number of parameters (20,430,407,232 for the released model). */
    public static long parameterCount(TransformerConfig c) {
        long n = 0;
        for (long[] s : parameterShapes(c).values()) {
            long p = 1;
            for (long x : s) {
                p *= x;
            }
            n += p;
        }
        return n;
    }

    /** The weight groups in execution order: input layers, blocks 0..n-1, output layers. */
    public static List<WeightGroup> groups(TransformerConfig c) {
        List<String> inputs = new ArrayList<>(List.of("img_in.weight", "img_in.bias", "txt_norm.weight",
                "txt_in.weight", "txt_in.bias"));
        inputs.addAll(TimestepEmbedding.weightNames(c));
        List<WeightGroup> groups = new ArrayList<>();
        groups.add(new WeightGroup("input layers", "", inputs, QwenImageTransformer.linearWeights(inputs)));
        for (int i = 0; i < c.numLayers(); i++) {
            groups.add(new WeightGroup("block " + i, DoubleStreamBlock.prefix(i), DoubleStreamBlock.WEIGHTS,
                    QwenImageTransformer.linearWeights(DoubleStreamBlock.WEIGHTS)));
        }
        groups.add(new WeightGroup("output layers", "", OutputLayer.WEIGHTS,
                QwenImageTransformer.linearWeights(OutputLayer.WEIGHTS)));
        return groups;
    }

    private static void linear(Map<String, long[]> m, String name, long out, long in) {
        m.put(name + ".weight", new long[] {out, in});
        m.put(name + ".bias", new long[] {out});
    }
}
