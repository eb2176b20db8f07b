package org.layered.model.text;

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
import org.layered.weights.SafetensorsWeights;
import org.layered.weights.WeightSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The language model of Qwen2.5-VL for text input ({@code Qwen2_5_VLTextModel}): token embeddings, the decoder
 * layers and the final RMSNorm. {@link #forward} returns the last hidden state <em>after</em> the final norm, which
 * is {@code hidden_states[-1]} of {@code output_hidden_states=True}, what the Qwen-Image pipelines use.
 *
 * <p>Checkpoint layouts: the released checkpoints' {@code model.layers.*} / {@code model.embed_tokens} /
 * {@code model.norm} and transformers &ge; 4.52's {@code model.language_model.*} are both accepted (also a bare
 * language model). The vision tower and {@code lm_head} are ignored. Weights are materialised per layer according to
 * the {@link ResidencyPolicy} (streamed by default: each layer is loaded, converted to the compute dtype, used and
 * freed), so the 7B model runs in float32 on a CPU that cannot hold it in float32.
 */
public final class Qwen2LanguageModel implements AutoCloseable {
    /** Key prefixes tried, in order, for {@code embed_tokens.weight}. */
    static final List<String> PREFIXES = List.of("model.language_model.", "model.", "language_model.model.",
            "language_model.", "");

    private final Qwen2TextConfig config;
    private final WeightSource source;
    private final boolean ownsSource;
    private final ComputeDevice device;
    private final DType dtype;
    private final String prefix;
    private final EmbeddingTable embed;
    private final List<WeightGroup> layerGroups;
    private final WeightGroup normGroup;
    private final MultimodalRope rope;
    private final WeightResidency residency;
    private final ResidencyPolicy policy;
    private final String headName;
    private WeightResidency headResidency;
    private WeightGroup headGroup;

    /**
     * Opens a text encoder folder ({@code config.json} + single or sharded safetensors).
     *
     * @param residency which layers to keep materialised; {@link ResidencyPolicy#streamed()} keeps none
     */
    public static Qwen2LanguageModel open(Path dir, ComputeDevice device, Precision precision,
            ResidencyPolicy residency) throws IOException {
        Qwen2TextConfig config = Qwen2TextConfig.read(dir.resolve("config.json"));
        SafetensorsWeights weights = SafetensorsWeights.open(dir);
        try {
            return new Qwen2LanguageModel(config, weights, true, device, precision, residency);
        } catch (IOException | RuntimeException e) {
            weights.close();
            throw e;
        }
    }

    /**
     * A model over an open weight source.
     *
     * @param ownsSource whether {@link #close()} closes {@code source}
     * @throws IllegalArgumentException naming a missing or mis-shaped tensor
     */
    public Qwen2LanguageModel(Qwen2TextConfig config, WeightSource source, boolean ownsSource, ComputeDevice device,
            Precision precision, ResidencyPolicy residency) throws IOException {
        this.config = config;
        this.source = source;
        this.ownsSource = ownsSource;
        this.device = device;
        this.dtype = precision.dtype();
        Layout layout = checkWeights(config, source);
        this.prefix = layout.prefix();
        this.embed = new EmbeddingTable(source, prefix + "embed_tokens.weight");
        this.layerGroups = layout.layers();
        this.normGroup = layout.norm();
        this.rope = new MultimodalRope(config);
        List<WeightGroup> all = new ArrayList<>(layerGroups);
        all.add(normGroup);
        this.residency = residency.build(source, all, dtype, device);
        this.policy = residency;
        this.headName = detectHead(source, prefix);
    }

    /**
     * Where the language model's weights are in a checkpoint: the key prefix, one group per decoder layer and the
     * final norm.
     */
    public record Layout(String prefix, List<WeightGroup> layers, WeightGroup norm) {}

    /**
     * Checks that {@code source} holds the language model {@code config} describes, every tensor with the shape the
     * config implies and no layer beyond {@code num_hidden_layers}: the check {@code layered info} shares with
     * loading.
     *
     * @throws IllegalArgumentException naming the missing or mis-shaped tensor
     */
    public static Layout checkWeights(Qwen2TextConfig config, WeightSource source) {
        String prefix = detectPrefix(source);
        Qwen2DecoderLayer.check(source, prefix + "embed_tokens.weight",
                new long[] {config.vocabSize(), config.hiddenSize()});
        List<WeightGroup> groups = new ArrayList<>();
        for (int i = 0; i < config.numLayers(); i++) {
            groups.add(Qwen2DecoderLayer.group(source, prefix + "layers.", i, config));
        }
        if (source.contains(prefix + "layers." + config.numLayers() + "." + Qwen2DecoderLayer.INPUT_NORM)) {
            throw new IllegalArgumentException("the checkpoint has more than num_hidden_layers = "
                    + config.numLayers() + " text layers: config and weights do not match");
        }
        Qwen2DecoderLayer.check(source, prefix + "norm.weight", new long[] {config.hiddenSize()});
        return new Layout(prefix, List.copyOf(groups), new WeightGroup("text final norm", prefix,
                List.of("norm.weight")));
    }

    /** {@code lm_head.weight} (or the tied embedding when the checkpoint has no head), null when absent. */
    static String detectHead(WeightSource source, String prefix) {
        for (String n : List.of("lm_head.weight", "model.lm_head.weight", "language_model.lm_head.weight")) {
            if (source.contains(n)) {
                return n;
            }
        }
        return null;
    }

    /**
     * The key prefix of the language model in {@code source}: {@code model.language_model.}, {@code model.}, ...
     *
     * @throws IllegalArgumentException when no {@code embed_tokens.weight} is found
     */
    public static String detectPrefix(WeightSource source) {
        for (String p : PREFIXES) {
            if (source.contains(p + "embed_tokens.weight") && source.contains(p + "norm.weight")) {
                return p;
            }
        }
        throw new IllegalArgumentException(source.describe() + " has no Qwen2 language model: none of "
                + PREFIXES.stream().map(p -> p + "embed_tokens.weight").toList() + " found");
    }

    public Qwen2TextConfig config() {
        return config;
    }

    /** The compute (and output) dtype. */
    public DType dtype() {
        return dtype;
    }

    public ComputeDevice device() {
        return device;
    }

    /** The detected key prefix, e.g. {@code model.} (legacy) or {@code model.language_model.}. */
    public String keyPrefix() {
        return prefix;
    }

    /** How the weights are held, for logs. */
    public String describeResidency() {
        return residency.describe();
    }

    /** The multimodal rotary embedding of this model. */
    public MultimodalRope rope() {
        return rope;
    }

    /** Token embeddings (B, L, hidden) in the compute dtype, in the current scope. */
    public Tensor embed(TextBatch batch) throws IOException {
        return embed.lookup(batch.flatIds(), dtype, device).reshape(batch.batchSize(), batch.length(),
                config.hiddenSize());
    }

    /** The last hidden state (after the final norm), (B, L, hidden), in the current scope. */
    public Tensor forward(TextBatch batch) throws IOException {
        return forward(List.of(batch), TextForwardObserver.NONE).get(0);
    }

    /**
     * Runs several independent batches through the model, layer by layer: each layer's weights are materialised once
     * and applied to every batch, so encoding a prompt and a negative prompt as two separate batch-1 passes (as the
     * pipeline does) reads the weights once. Each result is exactly what a forward of its batch alone gives.
     *
     * @return per batch, the last hidden state (B, L, hidden) in the compute dtype, in the current scope
     */
    public List<Tensor> forward(List<TextBatch> batches, TextForwardObserver observer) throws IOException {
        int n = batches.size();
        Tensor[] hidden = new Tensor[n];
        List<Tensor> out = new ArrayList<>(n);
        try (TensorScope work = TensorScope.open()) {
            Tensor[] cos = new Tensor[n];
            Tensor[] sin = new Tensor[n];
            Tensor[] mask = new Tensor[n];
            for (int i = 0; i < n; i++) {
                TextBatch b = batches.get(i);
                hidden[i] = embed(b);
                observer.tensor(i, "embed_tokens", hidden[i]);
                Tensor[] cs = rope.cosSin(b.positions(), dtype, device);
                cos[i] = cs[0];
                sin[i] = cs[1];
                observer.tensor(i, "rope.cos", cos[i]);
                observer.tensor(i, "rope.sin", sin[i]);
                mask[i] = Ops.fromBooleans(b.causalPaddingMask(),
                        new long[] {b.batchSize(), 1, b.length(), b.length()}, device);
            }
            for (int layer = 0; layer < layerGroups.size(); layer++) {
                String name = "layer" + layer;
                try (TensorScope ls = TensorScope.open()) {
                    GroupWeights w = residency.acquire(layerGroups.get(layer));
                    for (int i = 0; i < n; i++) {
                        final int bi = i;
                        Tensor next;
                        try (TensorScope s = TensorScope.open()) {
                            next = s.keep(Qwen2DecoderLayer.forward(config, w, hidden[i], cos[i], sin[i], mask[i],
                                    (local, t) -> observer.tensor(bi, name + "." + local, t)));
                        }
                        ls.keep(next);
                        hidden[i].close();
                        hidden[i] = next;
                        observer.tensor(i, name + ".output", next);
                    }
                }
            }
            try (TensorScope ls = TensorScope.open()) {
                Tensor weight = residency.acquire(normGroup).get("norm.weight");
                for (int i = 0; i < n; i++) {
                    Tensor normed = ls.keep(Qwen2DecoderLayer.rmsNorm(hidden[i], weight, config.rmsNormEps()));
                    hidden[i].close();
                    hidden[i] = normed;
                    observer.tensor(i, "norm", normed);
                }
            }
            for (int i = 0; i < n; i++) {
                out.add(work.keep(hidden[i]));
            }
        }
        return out;
    }

    /** Token embeddings {@code embed_tokens(ids)}: (n, hidden) in the compute dtype, in the current scope. */
    public Tensor embedTokens(long[] ids) throws IOException {
        return embed.lookup(ids, dtype, device);
    }

    /**
     * The forward pass over input embeddings with a KV cache ({@code Qwen2_5_VLTextModel.forward} with
     * {@code inputs_embeds}, {@code position_ids}, {@code past_key_values}): the new tokens attend causally to the
     * cached ones and to each other, their keys and values are appended to {@code cache}. No padding (one
     * unpadded sequence per row).
     *
     * @param embeds     (B, L, hidden) input embeddings in the compute dtype
     * @param positions  (3, B, L) M-RoPE position ids of the new tokens
     * @param cache      the cache (empty for the prefill); its length grows by L
     * @param checkpoint called before each layer (e.g. to throw on cancellation); may be null
     * @return the last hidden state (after the final norm) of the new tokens, (B, L, hidden), in the current scope
     */
    public Tensor forwardCached(Tensor embeds, long[][][] positions, KvCache cache, Runnable checkpoint,
            TextForwardObserver observer) throws IOException {
        if (cache.layers() != layerGroups.size()) {
            throw new IllegalArgumentException("the cache has " + cache.layers() + " layers, the model "
                    + layerGroups.size());
        }
        long b = embeds.size(0);
        int l = (int) embeds.size(1);
        int past = cache.length();
        Tensor out;
        try (TensorScope work = TensorScope.open()) {
            Tensor hidden = embeds;
            observer.tensor(0, "inputs_embeds", hidden);
            Tensor[] cs = rope.cosSin(positions, dtype, device);
            observer.tensor(0, "rope.cos", cs[0]);
            observer.tensor(0, "rope.sin", cs[1]);
            Tensor mask = null;
            if (l > 1) {
                int t = past + l;
                boolean[] m = new boolean[(int) b * l * t];
                for (int bi = 0; bi < b; bi++) {
                    for (int q = 0; q < l; q++) {
                        int row = (bi * l + q) * t;
                        for (int k = 0; k <= past + q; k++) {
                            m[row + k] = true;
                        }
                    }
                }
                mask = Ops.fromBooleans(m, new long[] {b, 1, l, t}, device);
            }
            for (int layer = 0; layer < layerGroups.size(); layer++) {
                if (checkpoint != null) {
                    checkpoint.run();
                }
                String name = "layer" + layer;
                Tensor next;
                try (TensorScope ls = TensorScope.open()) {
                    GroupWeights w = residency.acquire(layerGroups.get(layer));
                    next = ls.keep(Qwen2DecoderLayer.forward(config, w, hidden, cs[0], cs[1], mask, cache, layer,
                            (local, t) -> observer.tensor(0, name + "." + local, t)));
                }
                if (hidden != embeds) {
                    hidden.close();
                }
                hidden = next;
                observer.tensor(0, name + ".output", hidden);
            }
            try (TensorScope ls = TensorScope.open()) {
                Tensor weight = residency.acquire(normGroup).get("norm.weight");
                out = ls.keep(Qwen2DecoderLayer.rmsNorm(hidden, weight, config.rmsNormEps()));
            }
            observer.tensor(0, "norm", out);
            work.keep(out);
        }
        return out;
    }

    /** Whether the checkpoint has {@code lm_head.weight} (needed for generation). */
    public boolean hasLmHead() {
        return headName != null;
    }

    /**
     * {@code lm_head(hidden)}: (..., vocab) in the compute dtype, in the current scope. The head's weights are
     * materialised on first use, as the model's residency policy says.
     *
     * @throws IllegalStateException when the checkpoint has no {@code lm_head.weight}
     */
    public synchronized Tensor logits(Tensor hidden) throws IOException {
        if (headName == null) {
            throw new IllegalStateException(source.describe() + " has no lm_head.weight: this text encoder "
                    + "checkpoint cannot generate text");
        }
        if (headResidency == null) {
            Qwen2DecoderLayer.check(source, headName, new long[] {config.vocabSize(), config.hiddenSize()});
            int dot = headName.lastIndexOf("weight");
            headGroup = new WeightGroup("lm head", headName.substring(0, dot), List.of("weight"));
            headResidency = policy.build(source, List.of(headGroup), dtype, device);
        }
        Tensor out;
        try (TensorScope s = TensorScope.open()) {
            out = s.keep(Ops.linear(Ops.as(hidden, dtype), headResidency.acquire(headGroup).get("weight"), null));
        }
        return out;
    }

    /** Frees materialised weights and, if owned, closes the weight source. */
    @Override
    public void close() throws IOException {
        try {
            try {
                residency.close();
            } finally {
                if (headResidency != null) {
                    headResidency.close();
                    headResidency = null;
                }
            }
        } finally {
            if (ownsSource) {
                source.close();
            }
        }
    }
}
