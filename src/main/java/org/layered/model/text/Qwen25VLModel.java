package org.layered.model.text;

import org.layered.engine.ComputeDevice;
import org.layered.engine.DType;
import org.layered.engine.Ops;
import org.layered.engine.Precision;
import org.layered.engine.Tensor;
import org.layered.engine.TensorScope;
import org.layered.model.text.vision.Qwen25VisionTower;
import org.layered.weights.residency.ResidencyPolicy;
import org.layered.weights.SafetensorsWeights;
import org.layered.weights.WeightSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * {@code Qwen2_5_VLForConditionalGeneration} for one sequence with images: the vision tower, the language model and
 * {@code lm_head}, the multimodal forward pass ({@code <|image_pad|>} embeddings replaced by the image tokens in
 * order, M-RoPE positions from {@link RopeIndex}) and greedy / sampled generation with a {@link KvCache}.
 *
 * <p>Ids are the model's ids throughout. Returned tensors belong to the caller's current {@code TensorScope}.
 */
public final class Qwen25VLModel implements AutoCloseable {

    /**
     * The inputs of one multimodal sequence.
     *
     * @param inputIds    model ids with every image's {@code <|image_pad|>} already expanded to its merged-token count
     * @param pixelValues row-major (patches, patchDim) float32 processor output, images concatenated; null for none
     * @param imageGrids  {@code image_grid_thw}, one row per image; null for none
     */
    public record Input(long[] inputIds, float[] pixelValues, long[][] imageGrids) {
        public Input {
            if (inputIds.length == 0) {
                throw new IllegalArgumentException("no input ids");
            }
            if ((pixelValues == null) != (imageGrids == null)) {
                throw new IllegalArgumentException("pixel values and image grids go together");
            }
        }

        /** Text only. */
        public static Input text(long[] ids) {
            return new Input(ids, null, null);
        }

        public boolean hasImages() {
            return imageGrids != null && imageGrids.length > 0;
        }
    }

    /** Hears each generated token (model id), as soon as it is chosen. */
    @FunctionalInterface
    public interface TokenListener {
        TokenListener NONE = (index, id) -> { };

        /** Token {@code index} (0-based) of the new tokens. */
        void token(int index, long id);
    }

    private final Qwen25VLConfig config;
    private final WeightSource source;
    private final boolean ownsSource;
    private final Qwen2LanguageModel language;
    private final Qwen25VisionTower vision;
    private final ComputeDevice device;
    private final DType dtype;

    /**
     * Opens a text encoder folder ({@code config.json} with {@code vision_config}, safetensors with the vision
     * tower and {@code lm_head}).
     */
    public static Qwen25VLModel open(Path dir, ComputeDevice device, Precision precision, ResidencyPolicy residency)
            throws IOException {
        Path cfg = dir.resolve("config.json");
        if (!Files.isRegularFile(cfg)) {
            throw new IOException(dir + ": text encoder config.json not found");
        }
        Qwen25VLConfig config = Qwen25VLConfig.read(cfg);
        SafetensorsWeights weights = SafetensorsWeights.open(dir);
        try {
            return new Qwen25VLModel(config, weights, true, device, precision, residency);
        } catch (IOException | RuntimeException e) {
            weights.close();
            throw e;
        }
    }

    /**
     * A model over an open weight source.
     *
     * @param ownsSource whether {@link #close()} closes {@code source}
     */
    public Qwen25VLModel(Qwen25VLConfig config, WeightSource source, boolean ownsSource, ComputeDevice device,
            Precision precision, ResidencyPolicy residency) throws IOException {
        checkWeights(config, source);
        this.config = config;
        this.source = source;
        this.ownsSource = ownsSource;
        this.device = device;
        this.dtype = precision.dtype();
        Qwen2LanguageModel lm = new Qwen2LanguageModel(config.text(), source, false, device, precision, residency);
        try {
            this.vision = new Qwen25VisionTower(config.vision(), source, device, precision, residency);
        } catch (IOException | RuntimeException e) {
            lm.close();
            throw e;
        }
        this.language = lm;
    }

    /**
     * Checks that {@code source} holds what captioning needs: the language model with its {@code lm_head} and the
     * vision tower, every tensor with the shape {@code config} implies. The check {@code layered info} shares with
     * loading.
     *
     * @throws IllegalArgumentException naming the missing or mis-shaped tensor
     */
    public static void checkWeights(Qwen25VLConfig config, WeightSource source) {
        if (config.vision().outHiddenSize() != config.text().hiddenSize()) {
            throw new IllegalArgumentException("vision out_hidden_size " + config.vision().outHiddenSize()
                    + " differs from the text hidden_size " + config.text().hiddenSize());
        }
        Qwen2LanguageModel.Layout text = Qwen2LanguageModel.checkWeights(config.text(), source);
        if (Qwen2LanguageModel.detectHead(source, text.prefix()) == null) {
            throw new IllegalArgumentException(source.describe() + " has no lm_head.weight: this text encoder "
                    + "checkpoint cannot generate captions");
        }
        Qwen25VisionTower.checkWeights(config.vision(), source);
    }

    public Qwen25VLConfig config() {
        return config;
    }

    public Qwen2LanguageModel language() {
        return language;
    }

    public Qwen25VisionTower vision() {
        return vision;
    }

    public DType dtype() {
        return dtype;
    }

    public ComputeDevice device() {
        return device;
    }

    /** {@code get_rope_index} for the input: (3, 1, L) positions and the rope delta. */
    public RopeIndex ropeIndex(Input input) {
        return RopeIndex.compute(new long[][] {input.inputIds()}, null, input.hasImages() ? input.imageGrids() : null,
                null, null, config);
    }

    /**
     * The vision tower's merged image tokens for the input's images, (tokens, hidden) in the compute dtype, or null
     * when the input has none.
     */
    public Tensor imageEmbeds(Input input, Runnable checkpoint, Qwen25VisionTower.Observer observer)
            throws IOException {
        if (!input.hasImages()) {
            return null;
        }
        int dim = config.vision().patchDim();
        if (input.pixelValues().length % dim != 0) {
            throw new IllegalArgumentException("pixel values are not rows of " + dim);
        }
        Tensor out;
        try (TensorScope s = TensorScope.open()) {
            Tensor px = Ops.fromFloats(input.pixelValues(), new long[] {input.pixelValues().length / dim, dim},
                    device);
            out = s.keep(vision.forward(px, input.imageGrids(), checkpoint, observer));
        }
        return out;
    }

    /**
     * {@code inputs_embeds}: the token embeddings with the rows of {@code image_token_id} replaced by
     * {@code imageEmbeds} in order ({@code masked_scatter}); (1, L, hidden).
     *
     * @throws IllegalArgumentException when the image token count differs from the image embedding rows
     */
    public Tensor inputEmbeds(long[] ids, Tensor imageEmbeds) throws IOException {
        long imageId = config.imageTokenId();
        int count = 0;
        for (long id : ids) {
            if (id == imageId) {
                count++;
            }
        }
        long rows = imageEmbeds == null ? 0 : imageEmbeds.size(0);
        if (count != rows) {
            throw new IllegalArgumentException("Image features and image tokens do not match: tokens: " + count
                    + ", features " + rows);
        }
        int d = config.text().hiddenSize();
        Tensor out;
        try (TensorScope s = TensorScope.open()) {
            Tensor text = language.embedTokens(ids);
            Tensor e;
            if (count == 0) {
                e = text;
            } else {
                Tensor img = Ops.as(imageEmbeds, dtype);
                List<Tensor> parts = new ArrayList<>();
                int used = 0;
                int i = 0;
                while (i < ids.length) {
                    boolean image = ids[i] == imageId;
                    int j = i;
                    while (j < ids.length && (ids[j] == imageId) == image) {
                        j++;
                    }
                    if (image) {
                        parts.add(img.slice(0, used, used + (j - i)));
                        used += j - i;
                    } else {
                        parts.add(text.slice(0, i, j));
                    }
                    i = j;
                }
                e = parts.size() == 1 ? parts.get(0) : Ops.concat(parts, 0);
            }
            out = s.keep(e.reshape(1, ids.length, d));
        }
        return out;
    }

    /**
     * The multimodal forward pass of the whole input ({@code model(input_ids, pixel_values, image_grid_thw)}), filling
     * {@code cache} (may be null for a throw-away one).
     *
     * @return the last hidden state after the final norm, (1, L, hidden); {@code language().logits(h)} gives the
     *     logits
     */
    public Tensor forward(Input input, KvCache cache, Runnable checkpoint, TextForwardObserver observer)
            throws IOException {
        RopeIndex rope = ropeIndex(input);
        Tensor out;
        try (TensorScope s = TensorScope.open(); KvCache own = cache == null ? newCache() : null) {
            Tensor img = imageEmbeds(input, checkpoint, Qwen25VisionTower.Observer.NONE);
            Tensor embeds = inputEmbeds(input.inputIds(), img);
            out = s.keep(language.forwardCached(embeds, rope.positions(), cache == null ? own : cache, checkpoint,
                    observer));
        }
        return out;
    }

    /** An empty cache for this model. */
    public KvCache newCache() {
        return new KvCache(config.text().numLayers());
    }

    /**
     * {@code generate(input_ids, pixel_values, image_grid_thw, max_new_tokens=n)} for one sequence, with the
     * generation settings {@code gen} (see {@link GenerationConfig} for the decoding rules).
     *
     * @param random     the draw for sampled decoding (unused when greedy); null for a fresh unseeded one
     * @param checkpoint called between tokens and layers (e.g. to throw on cancellation); may be null
     * @return the new tokens, the final eos token included when one was generated
     */
    public long[] generate(Input input, GenerationConfig gen, int maxNewTokens, TokenListener listener,
            Runnable checkpoint, Random random) throws IOException {
        if (maxNewTokens < 1) {
            throw new IllegalArgumentException("max_new_tokens must be >= 1, got " + maxNewTokens);
        }
        Random rnd = random == null ? new Random() : random;
        int vocab = config.text().vocabSize();
        boolean[] seen = new boolean[vocab];
        for (long id : input.inputIds()) {
            if (id >= 0 && id < vocab) {
                seen[(int) id] = true;
            }
        }
        RopeIndex rope = ropeIndex(input);
        List<Long> out = new ArrayList<>();
        try (KvCache cache = newCache()) {
            float[] logits;
            try (TensorScope s = TensorScope.open()) {
                Tensor img = imageEmbeds(input, checkpoint, Qwen25VisionTower.Observer.NONE);
                Tensor embeds = inputEmbeds(input.inputIds(), img);
                Tensor hidden = language.forwardCached(embeds, rope.positions(), cache, checkpoint,
                        TextForwardObserver.NONE);
                logits = lastLogits(hidden);
            }
            for (int step = 0; step < maxNewTokens; step++) {
                NextToken.applyRepetitionPenalty(logits, seen, gen.repetitionPenalty());
                long next = gen.isGreedy() ? NextToken.argmax(logits) : NextToken.sample(logits, gen, rnd);
                out.add(next);
                seen[(int) next] = true;
                listener.token(step, next);
                if (gen.isEos(next) || step + 1 == maxNewTokens) {
                    break;
                }
                if (checkpoint != null) {
                    checkpoint.run();
                }
                try (TensorScope s = TensorScope.open()) {
                    Tensor embeds = language.embedTokens(new long[] {next}).reshape(1, 1, config.text().hiddenSize());
                    Tensor hidden = language.forwardCached(embeds, rope.decodePositions(0, cache.length(), 1), cache,
                            checkpoint, TextForwardObserver.NONE);
                    logits = lastLogits(hidden);
                }
            }
        }
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    /** float32 logits of the last position of (1, L, hidden). */
    private float[] lastLogits(Tensor hidden) throws IOException {
        long l = hidden.size(1);
        return language.logits(hidden.slice(1, l - 1, l)).toFloats();
    }

    /** Frees materialised weights and, if owned, closes the weight source. */
    @Override
    public void close() throws IOException {
        try {
            try {
                vision.close();
            } finally {
                language.close();
            }
        } finally {
            if (ownsSource) {
                source.close();
            }
        }
    }

    @Override
    public String toString() {
        return "Qwen25VLModel[" + config.text() + ", " + config.vision() + ", " + dtype + " on " + device + "]";
    }
}
