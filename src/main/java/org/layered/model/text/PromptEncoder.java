package org.layered.model.text;

import org.layered.engine.ComputeDevice;
import org.layered.engine.DType;
import org.layered.engine.Ops;
import org.layered.engine.Precision;
import org.layered.engine.Tensor;
import org.layered.engine.TensorScope;
import org.layered.weights.residency.ResidencyPolicy;
import org.layered.weights.config.ConfigException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongUnaryOperator;

/**
 * Prompt strings to the transformer's text conditioning, as {@code QwenImageLayeredPipeline.encode_prompt} computes
 * it: the prompt is formatted into {@link PromptTemplate#TEMPLATE}, tokenised, run through the Qwen2.5-VL language
 * model; the last hidden state (after the final norm) of the real tokens is kept, minus the first
 * {@link PromptTemplate#DROP_INDEX}; rows are zero-padded to the longest and cut to {@code max_sequence_length}; an
 * all-ones mask becomes "no mask".
 *
 * <p><b>Memory.</b> The tokenizer is loaded at once; the 7B language model (about 15 GB in bf16) only when a prompt
 * that is not cached must be encoded, and it stays loaded until {@link #releaseModel()} (which the pipeline calls
 * before the transformer runs unless its memory plan keeps the model), or after every encode with
 * {@link Options#releaseAfterEncode()}. Weights are materialised per layer as the {@link ResidencyPolicy}
 * says (streamed by default). The embeddings of every prompt encoded are cached per prompt string (as host floats in
 * the encoder's dtype) for the life of the encoder, so a second run with the same prompt or negative prompt does not
 * load the model at all; the cache survives {@link #releaseModel()}.
 *
 * <p>Because the encoder is causal, the hidden states of the kept tokens do not depend on later tokens: a prompt
 * longer than {@code max_sequence_length} is cut before the forward pass, which gives the same values upstream
 * computes on the whole sequence and cuts afterwards.
 *
 * <p>Returned tensors belong to the caller's current {@code TensorScope}. Methods are synchronized.
 */
public final class PromptEncoder implements AutoCloseable {

    /**
     * How the encoder runs.
     *
     * @param device             compute device
     * @param precision          compute and output dtype (upstream: bf16; float32 on the CPU by default)
     * @param residency          which language-model layers stay materialised while loaded
     * @param tokenIdMap         maps tokenizer ids to model ids (identity for real checkpoints; test models with a
     *                           small vocabulary use a mapping)
     * @param releaseAfterEncode release the model right after each encode that needed it
     */
    public record Options(ComputeDevice device, Precision precision, ResidencyPolicy residency,
            LongUnaryOperator tokenIdMap, boolean releaseAfterEncode) {
        public Options {
            Objects.requireNonNull(device, "device");
            Objects.requireNonNull(precision, "precision");
            Objects.requireNonNull(residency, "residency");
            Objects.requireNonNull(tokenIdMap, "tokenIdMap");
        }

        /** The device's default precision, streamed weights, identity ids, model kept until released. */
        public static Options defaults(ComputeDevice device) {
            return new Options(device, Precision.defaultFor(device), ResidencyPolicy.streamed(),
                    LongUnaryOperator.identity(), false);
        }

        public Options withPrecision(Precision p) {
            return new Options(device, p, residency, tokenIdMap, releaseAfterEncode);
        }

        public Options withResidency(ResidencyPolicy r) {
            return new Options(device, precision, r, tokenIdMap, releaseAfterEncode);
        }

        public Options withTokenIdMap(LongUnaryOperator m) {
            return new Options(device, precision, residency, m, releaseAfterEncode);
        }

        public Options withReleaseAfterEncode(boolean r) {
            return new Options(device, precision, residency, tokenIdMap, r);
        }
    }

    /** Opens the language model when it is first needed. */
    @FunctionalInterface
    interface ModelLoader {
        Qwen2LanguageModel load() throws IOException;
    }

    /** One prompt's kept hidden states (rows x dim, host floats holding values of the encoder's dtype). */
    private record Entry(float[] values, int rows, int dim, boolean complete) {
        boolean covers(int maxSequenceLength) {
            return complete || rows >= maxSequenceLength;
        }
    }

    private final QwenTokenizer tokenizer;
    private final boolean ownsTokenizer;
    private final Qwen2TextConfig config;
    private final Options options;
    private final ModelLoader loader;
    private final Map<String, Entry> cache = new HashMap<>();
    private Qwen2LanguageModel model;
    private int forwardPasses;
    private int modelLoads;
    private boolean closed;

    private PromptEncoder(QwenTokenizer tokenizer, boolean ownsTokenizer, Qwen2TextConfig config, Options options,
            ModelLoader loader) {
        this.tokenizer = tokenizer;
        this.ownsTokenizer = ownsTokenizer;
        this.config = config;
        this.options = options;
        this.loader = loader;
        PromptTemplate.verifyPrefix(tokenizer);
    }

    /**
     * An encoder for a checkpoint's {@code text_encoder/} and {@code tokenizer/} folders. Reads the config and the
     * tokenizer now (checking that the template prefix is 34 tokens); the weights only when first needed.
     *
     * @throws IOException when a folder or file is missing or malformed
     */
    public static PromptEncoder open(Path textEncoderDir, Path tokenizerDir, Options options) throws IOException {
        QwenTokenizer tok = QwenTokenizer.load(tokenizerDir);
        try {
            return create(textEncoderDir, tok, true, options);
        } catch (IOException | RuntimeException e) {
            tok.close();
            throw e;
        }
    }

    /** As {@link #open}, with a tokenizer the caller owns (and closes). */
    public static PromptEncoder open(Path textEncoderDir, QwenTokenizer tokenizer, Options options)
            throws IOException {
        return create(textEncoderDir, tokenizer, false, options);
    }

    private static PromptEncoder create(Path dir, QwenTokenizer tok, boolean owns, Options options)
            throws IOException {
        Path cfg = dir.resolve("config.json");
        if (!Files.isRegularFile(cfg)) {
            throw new IOException(dir + ": text encoder config.json not found");
        }
        Qwen2TextConfig config;
        try {
            config = Qwen2TextConfig.read(cfg);
        } catch (ConfigException e) {
            throw new IOException(e.getMessage(), e);
        }
        return new PromptEncoder(tok, owns, config, options,
                () -> Qwen2LanguageModel.open(dir, options.device(), options.precision(), options.residency()));
    }

    public QwenTokenizer tokenizer() {
        return tokenizer;
    }

    /** The text model's config (hidden size = the transformer's {@code joint_attention_dim}). */
    public Qwen2TextConfig config() {
        return config;
    }

    public Options options() {
        return options;
    }

    /** The dtype of the returned embeddings (the text encoder's dtype). */
    public DType dtype() {
        return options.precision().dtype();
    }

    /**
     * {@code encode_prompt(prompt, max_sequence_length=n)} for one prompt: (1, L, hidden), mask always null.
     */
    public PromptEmbeds encode(String prompt, int maxSequenceLength) throws IOException {
        return encodeEach(List.of(prompt), maxSequenceLength).get(0);
    }

    /** {@link #encode(String, int)} with the pipeline's default {@code max_sequence_length} 512. */
    public PromptEmbeds encode(String prompt) throws IOException {
        return encode(prompt, PromptTemplate.DEFAULT_MAX_SEQUENCE_LENGTH);
    }

    /**
     * {@code encode_prompt(prompts, max_sequence_length=n)} with a list: one right-padded batch through the encoder
     * (prompts already cached are not recomputed), rows zero-padded, mask null when no row is padded.
     */
    public PromptEmbeds encode(List<String> prompts, int maxSequenceLength) throws IOException {
        return encode(prompts, maxSequenceLength, 1);
    }

    /**
     * As {@link #encode(List, int)} with {@code num_images_per_prompt}: each row repeated {@code n} times in a row
     * ({@code [p0, p0, p1, p1]} for n = 2), as {@code encode_prompt} repeats them.
     */
    public synchronized PromptEmbeds encode(List<String> prompts, int maxSequenceLength, int numImagesPerPrompt)
            throws IOException {
        check(prompts, maxSequenceLength);
        if (numImagesPerPrompt < 1) {
            throw new IllegalArgumentException("num_images_per_prompt must be >= 1, got " + numImagesPerPrompt);
        }
        computeMissing(prompts, maxSequenceLength, true);
        List<String> rows = new ArrayList<>();
        for (String p : prompts) {
            for (int i = 0; i < numImagesPerPrompt; i++) {
                rows.add(p);
            }
        }
        return assemble(rows, maxSequenceLength);
    }

    /**
     * One {@code encode_prompt(p)} call per prompt (batch 1 each, as the pipeline encodes the prompt and the
     * negative prompt), computed in a single pass over the weights.
     */
    public synchronized List<PromptEmbeds> encodeEach(List<String> prompts, int maxSequenceLength)
            throws IOException {
        check(prompts, maxSequenceLength);
        computeMissing(prompts, maxSequenceLength, false);
        List<PromptEmbeds> out = new ArrayList<>(prompts.size());
        for (String p : prompts) {
            out.add(assemble(List.of(p), maxSequenceLength));
        }
        return out;
    }

    private void check(List<String> prompts, int maxSequenceLength) {
        if (closed) {
            throw new IllegalStateException("the prompt encoder was closed");
        }
        if (prompts.isEmpty()) {
            throw new IllegalArgumentException("no prompts to encode");
        }
        for (String p : prompts) {
            if (p == null) {
                throw new IllegalArgumentException("prompt is null (the pipeline auto-captions an absent prompt)");
            }
        }
        PromptTemplate.checkMaxSequenceLength(maxSequenceLength);
    }

    /** Runs the encoder on the prompts whose cache entry does not cover {@code maxSequenceLength}. */
    private void computeMissing(List<String> prompts, int maxSequenceLength, boolean oneBatch) throws IOException {
        LinkedHashSet<String> missing = new LinkedHashSet<>();
        for (String p : prompts) {
            Entry e = cache.get(p);
            if (e == null || !e.covers(maxSequenceLength)) {
                missing.add(p);
            }
        }
        if (missing.isEmpty()) {
            return;
        }
        List<PromptTemplate.Tokenized> toks = PromptTemplate.tokenize(tokenizer, new ArrayList<>(missing));
        long pad = options.tokenIdMap().applyAsLong(tokenizer.padTokenId());
        List<long[]> inputs = new ArrayList<>();
        for (PromptTemplate.Tokenized t : toks) {
            long[] ids = t.inputIds(maxSequenceLength);
            for (int i = 0; i < ids.length; i++) {
                ids[i] = options.tokenIdMap().applyAsLong(ids[i]);
            }
            inputs.add(ids);
        }
        List<TextBatch> batches = new ArrayList<>();
        if (oneBatch) {
            int l = inputs.stream().mapToInt(a -> a.length).max().orElse(0);
            long[][] ids = new long[inputs.size()][l];
            boolean[][] mask = new boolean[inputs.size()][l];
            for (int i = 0; i < ids.length; i++) {
                Arrays.fill(ids[i], pad);
                System.arraycopy(inputs.get(i), 0, ids[i], 0, inputs.get(i).length);
                Arrays.fill(mask[i], 0, inputs.get(i).length, true);
            }
            batches.add(new TextBatch(ids, mask));
        } else {
            for (long[] ids : inputs) {
                batches.add(TextBatch.of(ids));
            }
        }
        Qwen2LanguageModel m = ensureLoaded();
        try (TensorScope s = TensorScope.open()) {
            List<Tensor> hidden = m.forward(batches, TextForwardObserver.NONE);
            int dim = config.hiddenSize();
            for (int i = 0; i < toks.size(); i++) {
                PromptTemplate.Tokenized t = toks.get(i);
                Tensor h = oneBatch ? hidden.get(0).slice(0, i, i + 1) : hidden.get(i);
                int len = inputs.get(i).length;
                int rows = Math.max(0, len - PromptTemplate.DROP_INDEX);
                float[] values = rows == 0 ? new float[0]
                        : h.slice(1, PromptTemplate.DROP_INDEX, len).toFloats();
                cache.put(t.prompt(), new Entry(values, rows, dim, len == t.ids().length));
            }
            forwardPasses++;
        } finally {
            if (options.releaseAfterEncode()) {
                releaseModel();
            }
        }
    }

    /** Rows from the cache: zero-padded to the longest, cut to {@code maxSequenceLength}, mask or null. */
    private PromptEmbeds assemble(List<String> rows, int maxSequenceLength) {
        int b = rows.size();
        int dim = config.hiddenSize();
        int[] lengths = new int[b];
        int l = 0;
        for (int i = 0; i < b; i++) {
            lengths[i] = Math.min(cache.get(rows.get(i)).rows(), maxSequenceLength);
            l = Math.max(l, lengths[i]);
        }
        float[] data = new float[b * l * dim];
        long[] maskValues = new long[b * l];
        boolean allValid = true;
        for (int i = 0; i < b; i++) {
            Entry e = cache.get(rows.get(i));
            System.arraycopy(e.values(), 0, data, i * l * dim, lengths[i] * dim);
            Arrays.fill(maskValues, i * l, i * l + lengths[i], 1L);
            allValid &= lengths[i] == l;
        }
        ComputeDevice device = options.device();
        Tensor embeds;
        try (TensorScope s = TensorScope.open()) {
            embeds = s.keep(Ops.as(Ops.fromFloats(data, new long[] {b, l, dim}, device), dtype()));
        }
        Tensor mask = allValid ? null : Ops.fromLongs(maskValues, new long[] {b, l}, device);
        return new PromptEmbeds(embeds, mask, lengths);
    }

    private Qwen2LanguageModel ensureLoaded() throws IOException {
        if (model == null) {
            model = loader.load();
            if (!model.config().equals(config)) {
                Qwen2LanguageModel m = model;
                model = null;
                m.close();
                throw new IOException("the text encoder loaded now has another config than when this prompt encoder "
                        + "was opened (its config.json changed): open it again");
            }
            modelLoads++;
        }
        return model;
    }

    /** Whether the language model is currently loaded. */
    public synchronized boolean isModelLoaded() {
        return model != null;
    }

    /** Frees the language model's weights (the tokenizer and the embedding cache stay). Idempotent. */
    public synchronized void releaseModel() throws IOException {
        if (model != null) {
            Qwen2LanguageModel m = model;
            model = null;
            m.close();
        }
    }

    /** Whether {@code prompt}'s embeddings are cached (for the default {@code max_sequence_length}). */
    public synchronized boolean isCached(String prompt) {
        Entry e = cache.get(prompt);
        return e != null && e.covers(PromptTemplate.DEFAULT_MAX_SEQUENCE_LENGTH);
    }

    /** Forgets every cached embedding. */
    public synchronized void clearCache() {
        cache.clear();
    }

    /** Encoder forward passes run so far (cache misses). */
    public synchronized int forwardPasses() {
        return forwardPasses;
    }

    /** Times the model was loaded so far. */
    public synchronized int modelLoads() {
        return modelLoads;
    }

    /** Releases the model and the cache, and closes the tokenizer if this encoder opened it. */
    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        cache.clear();
        try {
            releaseModel();
        } finally {
            if (ownsTokenizer) {
                tokenizer.close();
            }
        }
    }
}
