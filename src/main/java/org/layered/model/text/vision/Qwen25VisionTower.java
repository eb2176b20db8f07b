package org.layered.model.text.vision;

import org.layered.engine.ComputeDevice;
import org.layered.engine.DType;
import org.layered.engine.Ops;
import org.layered.engine.Precision;
import org.layered.engine.Tensor;
import org.layered.engine.TensorScope;
import org.layered.weights.residency.GroupWeights;
import org.layered.weights.residency.ResidencyPolicy;
import org.layered.weights.residency.WeightGroup;
import org.layered.weights.residency.WeightResidency;
import org.layered.weights.WeightSource;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Qwen2.5-VL vision tower ({@code Qwen2_5_VisionTransformerPretrainedModel}): pixel patches to merged image
 * tokens of the language model's width.
 * <pre>
 *   x   = patches (N, 1176) W_patch^T                  Conv3d with kernel = stride = (2, 14, 14), no bias
 *   x   = x grouped by 4 (one merged token), reordered by the window index
 *   cos, sin = of cat(rot, rot), rot = [row * inv_freq, col * inv_freq] (theta 10000, dim head_dim/2), same order
 *   per block: x += proj(attn(RMSNorm1(x)))  (qkv with bias, 2-D RoPE in float32, rotate-half, no mask,
 *              attention within each window, or each image for the full-attention blocks)
 *              x += down(SiLU(gate(h)) * up(h)), h = RMSNorm2(x)  (all with biases)
 *   merger: RMSNorm (eps 1e-6), view 4 patches -> 4*hidden, Linear, exact GELU, Linear -> out_hidden_size
 *   rows put back into the processor's order (argsort of the window index)
 * </pre>
 * Weight names below {@code visual.} (released checkpoints) or {@code model.visual.} (transformers &ge; 4.52).
 * Weights are materialised per group (patch embedding, each block, merger) as the {@link ResidencyPolicy} says.
 */
public final class Qwen25VisionTower implements AutoCloseable {
    /** Key prefixes tried, in order. */
    static final List<String> PREFIXES = List.of("visual.", "model.visual.", "");
    private static final double NORM_EPS = 1e-6;
    private static final double ROPE_THETA = 10000.0;

    private static final String PATCH = "patch_embed.proj.weight";
    private static final String NORM1 = "norm1.weight";
    private static final String NORM2 = "norm2.weight";
    private static final String QKV_W = "attn.qkv.weight";
    private static final String QKV_B = "attn.qkv.bias";
    private static final String PROJ_W = "attn.proj.weight";
    private static final String PROJ_B = "attn.proj.bias";
    private static final String GATE_W = "mlp.gate_proj.weight";
    private static final String GATE_B = "mlp.gate_proj.bias";
    private static final String UP_W = "mlp.up_proj.weight";
    private static final String UP_B = "mlp.up_proj.bias";
    private static final String DOWN_W = "mlp.down_proj.weight";
    private static final String DOWN_B = "mlp.down_proj.bias";
    private static final String LN_Q = "ln_q.weight";
    private static final String FC1_W = "mlp.0.weight";
    private static final String FC1_B = "mlp.0.bias";
    private static final String FC2_W = "mlp.2.weight";
    private static final String FC2_B = "mlp.2.bias";

    /** Receives intermediate tensors (valid only during the call). */
    @FunctionalInterface
    public interface Observer {
        Observer NONE = (name, t) -> { };

        /**
         * Names: {@code patch_embed} (processor order), {@code hidden_after_window_permute}, {@code position_cos},
         * {@code position_sin}, {@code block<i>}, {@code merger_ln_q}, {@code merger_out_window_order},
         * {@code image_embeds} - the golden names.
         */
        void tensor(String name, Tensor value);
    }

    private final VisionConfig config;
    private final WeightSource source;
    private final ComputeDevice device;
    private final DType dtype;
    private final String prefix;
    private final WeightGroup embedGroup;
    private final List<WeightGroup> blockGroups;
    private final WeightGroup mergerGroup;
    private final WeightResidency residency;
    private final float[] invFreq;

    /**
     * A tower over an open weight source (not closed by this tower).
     *
     * @throws IllegalArgumentException naming a missing or mis-shaped tensor
     */
    public Qwen25VisionTower(VisionConfig config, WeightSource source, ComputeDevice device, Precision precision,
            ResidencyPolicy residency) throws IOException {
        this.config = config;
        this.source = source;
        this.device = device;
        this.dtype = precision.dtype();
        Layout layout = checkWeights(config, source);
        this.prefix = layout.prefix();
        this.embedGroup = layout.embed();
        this.blockGroups = layout.blocks();
        this.mergerGroup = layout.merger();

        List<WeightGroup> all = new ArrayList<>();
        all.add(embedGroup);
        all.addAll(blockGroups);
        all.add(mergerGroup);
        this.residency = residency.build(source, all, dtype, device);

        int dim = config.headDim() / 2; // Qwen2_5_VisionRotaryEmbedding(head_dim // 2)
        this.invFreq = new float[dim / 2];
        for (int j = 0; j < invFreq.length; j++) {
            float exponent = (float) (2 * j) / (float) dim;
            invFreq[j] = 1.0f / (float) Math.pow(ROPE_THETA, exponent);
        }
    }

    /** Where the tower's weights are in a checkpoint: key prefix, patch embedding, blocks, merger. */
    public record Layout(String prefix, WeightGroup embed, List<WeightGroup> blocks, WeightGroup merger) {}

    /**
     * Checks that {@code source} holds the vision tower {@code config} describes, every tensor with the shape the
     * config implies and no block beyond {@code depth}: the check {@code layered info} shares with loading.
     *
     * @throws IllegalArgumentException naming the missing or mis-shaped tensor
     */
    public static Layout checkWeights(VisionConfig config, WeightSource source) {
        String prefix = detectPrefix(source);
        check(source, prefix + PATCH, patchShape(config));
        WeightGroup embed = new WeightGroup("vision patch embedding", prefix, List.of(PATCH));
        List<WeightGroup> blocks = new ArrayList<>();
        Map<String, long[]> blockShapes = blockShapes(config);
        for (int i = 0; i < config.depth(); i++) {
            String p = prefix + "blocks." + i + ".";
            List<String> names = new ArrayList<>();
            for (Map.Entry<String, long[]> e : blockShapes.entrySet()) {
                check(source, p + e.getKey(), e.getValue());
                names.add(e.getKey());
            }
            blocks.add(new WeightGroup("vision block " + i, p, names));
        }
        if (source.contains(prefix + "blocks." + config.depth() + "." + NORM1)) {
            throw new IllegalArgumentException("the checkpoint has more than depth = " + config.depth()
                    + " vision blocks: config and weights do not match");
        }
        String mp = prefix + "merger.";
        mergerShapes(config).forEach((n, shape) -> check(source, mp + n, shape));
        WeightGroup merger = new WeightGroup("vision merger", mp, List.of(LN_Q, FC1_W, FC1_B, FC2_W, FC2_B));
        return new Layout(prefix, embed, List.copyOf(blocks), merger);
    }

    /** The patch embedding's shape: [hidden, channels, temporal patch, patch, patch]. */
    public static long[] patchShape(VisionConfig c) {
        return new long[] {c.hiddenSize(), c.inChannels(), c.temporalPatchSize(), c.patchSize(), c.patchSize()};
    }

    /** The tensors of one vision block (local names) with the shapes {@code c} implies. */
    public static Map<String, long[]> blockShapes(VisionConfig c) {
        long d = c.hiddenSize();
        long f = c.intermediateSize();
        Map<String, long[]> m = new LinkedHashMap<>();
        m.put(NORM1, new long[] {d});
        m.put(NORM2, new long[] {d});
        m.put(QKV_W, new long[] {3 * d, d});
        m.put(QKV_B, new long[] {3 * d});
        m.put(PROJ_W, new long[] {d, d});
        m.put(PROJ_B, new long[] {d});
        m.put(GATE_W, new long[] {f, d});
        m.put(GATE_B, new long[] {f});
        m.put(UP_W, new long[] {f, d});
        m.put(UP_B, new long[] {f});
        m.put(DOWN_W, new long[] {d, f});
        m.put(DOWN_B, new long[] {d});
        return m;
    }

    /** The patch merger's tensors (local names) with the shapes {@code c} implies. */
    public static Map<String, long[]> mergerShapes(VisionConfig c) {
        long d = c.hiddenSize();
        long md = d * c.mergeUnit();
        Map<String, long[]> m = new LinkedHashMap<>();
        m.put(LN_Q, new long[] {d});
        m.put(FC1_W, new long[] {md, md});
        m.put(FC1_B, new long[] {md});
        m.put(FC2_W, new long[] {c.outHiddenSize(), md});
        m.put(FC2_B, new long[] {c.outHiddenSize()});
        return m;
    }

    /** Whether {@code source} holds a vision tower (any known prefix). */
    public static boolean isPresent(WeightSource source) {
        for (String p : PREFIXES) {
            if (source.contains(p + PATCH)) {
                return true;
            }
        }
        return false;
    }

    /** The key prefix of the vision tower: {@code visual.} or {@code model.visual.}. */
    public static String detectPrefix(WeightSource source) {
        for (String p : PREFIXES) {
            if (source.contains(p + PATCH) && source.contains(p + "merger." + LN_Q)) {
                return p;
            }
        }
        throw new IllegalArgumentException(source.describe() + " has no Qwen2.5-VL vision tower: none of "
                + PREFIXES.stream().map(p -> p + PATCH).toList() + " found (the image captioner needs the full "
                + "text_encoder checkpoint, vision weights included)");
    }

    private static void check(WeightSource source, String name, long[] shape) {
        if (!source.contains(name)) {
            throw new IllegalArgumentException("vision weight '" + name + "' is missing in " + source.describe());
        }
        long[] s = source.shape(name);
        if (!Arrays.equals(s, shape)) {
            throw new IllegalArgumentException("vision weight '" + name + "' has shape " + Arrays.toString(s)
                    + ", the config implies " + Arrays.toString(shape));
        }
    }

    public VisionConfig config() {
        return config;
    }

    public String keyPrefix() {
        return prefix;
    }

    public DType dtype() {
        return dtype;
    }

    /** The rotary inverse frequencies (float32, {@code head_dim / 4} values). */
    public float[] inverseFrequencies() {
        return invFreq.clone();
    }

    /**
     * {@code rot_pos_emb(grid_thw)}: per patch (processor order) the angles {@code [row * inv_freq, col * inv_freq]}
     * in float32, row-major {@code patches x (head_dim / 2)}.
     */
    public float[] rotaryAngles(VisionLayout layout) {
        int[] rows = layout.rowPositions();
        int[] cols = layout.colPositions();
        int q = invFreq.length;
        float[] out = new float[rows.length * 2 * q];
        for (int i = 0; i < rows.length; i++) {
            for (int j = 0; j < q; j++) {
                out[i * 2 * q + j] = (float) rows[i] * invFreq[j];
                out[i * 2 * q + q + j] = (float) cols[i] * invFreq[j];
            }
        }
        return out;
    }

    /**
     * Runs the tower.
     *
     * @param pixelValues (patches, 1176) float tensor, rows in the processor's order (several images concatenated)
     * @param grids       {@code image_grid_thw}, one row per image
     * @param checkpoint  called between blocks (e.g. to throw on cancellation); may be null
     * @return the merged image tokens (patches / 4, out_hidden_size) in the compute dtype, processor order, in the
     *     current scope
     */
    public Tensor forward(Tensor pixelValues, long[][] grids, Runnable checkpoint, Observer observer)
            throws IOException {
        VisionLayout layout = new VisionLayout(grids, config);
        int n = layout.patches();
        if (pixelValues.rank() != 2 || pixelValues.size(0) != n || pixelValues.size(1) != config.patchDim()) {
            throw new IllegalArgumentException("pixel values " + Arrays.toString(pixelValues.shape()) + " do not fit "
                    + "the grids " + Arrays.deepToString(grids) + ": expected [" + n + ", " + config.patchDim() + "]");
        }
        int unit = config.mergeUnit();
        int tokens = n / unit;
        long d = config.hiddenSize();
        int hd = config.headDim();
        Tensor out;
        try (TensorScope work = TensorScope.open()) {
            Tensor x;
            try (TensorScope s = TensorScope.open()) {
                Tensor w = residency.acquire(embedGroup).get(PATCH).reshape(d, config.patchDim());
                Tensor embed = Ops.linear(Ops.as(pixelValues, dtype), w, null);
                observer.tensor("patch_embed", embed);
                x = s.keep(permuteRows(embed, layout.windowIndex(), unit));
            }
            observer.tensor("hidden_after_window_permute", x);

            // cos/sin of cat(rot, rot), window order, float32 (upstream keeps them in float32)
            float[] angles = rotaryAngles(layout);
            int half = hd / 2;
            int[] win = layout.windowIndex();
            float[] cos = new float[n * hd];
            float[] sin = new float[n * hd];
            for (int r = 0; r < n; r++) {
                int src = win[r / unit] * unit + r % unit;
                for (int j = 0; j < hd; j++) {
                    float a = angles[src * half + j % half];
                    cos[r * hd + j] = (float) Math.cos(a);
                    sin[r * hd + j] = (float) Math.sin(a);
                }
            }
            Tensor cosT = Ops.fromFloats(cos, new long[] {n, 1, hd}, device);
            Tensor sinT = Ops.fromFloats(sin, new long[] {n, 1, hd}, device);
            observer.tensor("position_cos", cosT.reshape(n, hd));
            observer.tensor("position_sin", sinT.reshape(n, hd));

            int[] windows = layout.cuWindowSeqlens();
            int[] images = layout.cuSeqlens();
            for (int b = 0; b < blockGroups.size(); b++) {
                if (checkpoint != null) {
                    checkpoint.run();
                }
                Tensor next;
                try (TensorScope s = TensorScope.open()) {
                    GroupWeights w = residency.acquire(blockGroups.get(b));
                    next = s.keep(block(w, x, cosT, sinT, config.isFullAttention(b) ? images : windows));
                }
                x.close();
                x = next;
                observer.tensor("block" + b, x);
            }
            try (TensorScope s = TensorScope.open()) {
                GroupWeights w = residency.acquire(mergerGroup);
                Tensor ln = Ops.rmsNorm(x, w.get(LN_Q), NORM_EPS);
                observer.tensor("merger_ln_q", ln);
                Tensor h = Ops.linear(ln.reshape(tokens, d * unit), w.get(FC1_W), w.get(FC1_B));
                h = Ops.linear(Ops.gelu(h), w.get(FC2_W), w.get(FC2_B));
                observer.tensor("merger_out_window_order", h);
                Tensor embeds = permuteRows(h, layout.reverseIndex(), 1);
                observer.tensor("image_embeds", embeds);
                out = s.keep(embeds);
            }
            work.keep(out);
        }
        return out;
    }

    /** Rows regrouped: group {@code i} of the result is group {@code order[i]} of {@code x} ({@code unit} rows each). */
    private Tensor permuteRows(Tensor x, int[] order, int unit) {
        long d = x.size(1);
        long[] idx = new long[order.length];
        for (int i = 0; i < order.length; i++) {
            idx[i] = order[i];
        }
        Tensor index = Ops.fromLongs(idx, new long[] {idx.length}, device);
        return x.reshape(x.size(0) / unit, unit * d).take(index).reshape(x.size(0), d);
    }

    private Tensor block(GroupWeights w, Tensor x, Tensor cos, Tensor sin, int[] cu) {
        long n = x.size(0);
        long d = config.hiddenSize();
        int heads = config.numHeads();
        int hd = config.headDim();
        Tensor h = Ops.rmsNorm(x, w.get(NORM1), NORM_EPS);
        Tensor qkv = Ops.linear(h, w.get(QKV_W), w.get(QKV_B)).reshape(n, 3, heads, hd);
        Tensor q = rope(qkv.get(":, 0"), cos, sin).transpose(0, 1).unsqueeze(0); // (1, heads, n, hd)
        Tensor k = rope(qkv.get(":, 1"), cos, sin).transpose(0, 1).unsqueeze(0);
        Tensor v = qkv.get(":, 2").transpose(0, 1).unsqueeze(0);
        Tensor a;
        if (cu.length == 2) {
            a = Ops.attention(q, k, v, null);
        } else {
            List<Tensor> parts = new ArrayList<>();
            for (int i = 0; i + 1 < cu.length; i++) {
                if (cu[i + 1] > cu[i]) {
                    parts.add(Ops.attention(q.slice(2, cu[i], cu[i + 1]), k.slice(2, cu[i], cu[i + 1]),
                            v.slice(2, cu[i], cu[i + 1]), null));
                }
            }
            a = Ops.concat(parts, 2);
        }
        a = a.squeeze(0).transpose(0, 1).reshape(n, d);
        x = x.add(Ops.linear(a, w.get(PROJ_W), w.get(PROJ_B)));
        Tensor h2 = Ops.rmsNorm(x, w.get(NORM2), NORM_EPS);
        Tensor gate = Ops.silu(Ops.linear(h2, w.get(GATE_W), w.get(GATE_B)));
        Tensor up = Ops.linear(h2, w.get(UP_W), w.get(UP_B));
        return x.add(Ops.linear(gate.mul(up), w.get(DOWN_W), w.get(DOWN_B)));
    }

    /** {@code apply_rotary_pos_emb_vision}: in float32, rotate-half, cast back. x (n, heads, hd), cos (n, 1, hd). */
    private static Tensor rope(Tensor x, Tensor cos, Tensor sin) {
        DType dt = x.dtype();
        Tensor f = Ops.as(x, DType.F32);
        long d = f.size(-1);
        Tensor x1 = f.slice(-1, 0, d / 2);
        Tensor x2 = f.slice(-1, d / 2, d);
        Tensor rotated = Ops.concat(List.of(x2.neg(), x1), -1);
        return Ops.as(f.mul(cos).add(rotated.mul(sin)), dt);
    }

    /** Frees materialised weights (the weight source belongs to the caller). */
    @Override
    public void close() {
        residency.close();
    }
}
