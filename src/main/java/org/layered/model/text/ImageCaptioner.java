package org.layered.model.text;

import org.layered.engine.ComputeDevice;
import org.layered.engine.Precision;
import org.layered.image.RgbaImage;
import org.layered.model.text.vision.ImageProcessorConfig;
import org.layered.model.text.vision.QwenImageProcessor;
import org.layered.weights.residency.ResidencyPolicy;
import org.layered.engine.Cancellation;
import org.layered.weights.config.ConfigException;
import org.layered.weights.config.JsonConfig;
import org.layered.weights.config.ModelIndex;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.function.LongUnaryOperator;
import java.util.stream.Stream;

/**
 * The auto-caption of {@code QwenImageLayeredPipeline.get_image_caption}: when the prompt is empty ({@code None},
 * {@code ""} or {@code " "}, see {@link #needsCaption}) upstream describes the image with Qwen2.5-VL and decomposes
 * with that caption.
 * <pre>
 *   inputs  = processor(text=CAPTION_PROMPT, images=image, padding=True)     Qwen2VLProcessor
 *   ids     = text_encoder.generate(**inputs, max_new_tokens=512)            generation_config.json semantics
 *   caption = batch_decode(ids[:, len(prompt):], skip_special_tokens=True, clean_up_tokenization_spaces=False)[0].strip()
 * </pre>
 * The image given is the one upstream captions: the bucket-resized RGBA image the pipeline also encodes (spec 4.2,
 * point 6). The processor drops its alpha channel ({@link QwenImageProcessor}); {@link CaptionPrompt} has the
 * English and Chinese instructions; {@link Qwen25VLModel#generate} decodes with a KV cache.
 *
 * <p><b>Memory.</b> The tokenizer and configs are read at {@link #open}; the weights (vision tower, language
 * model, lm_head: about 16.6 GB in bf16) when the first caption is made. They stay until {@link #releaseModel()} or
 * {@link #close()}, or are released after each caption with {@link Options#releaseAfterCaption()}. Generation reads
 * every language-model layer once per token, so the weights should be resident: the default residency is
 * {@link ResidencyPolicy#resident()} on CUDA and {@link ResidencyPolicy#auto()} (half the free RAM, the rest
 * streamed per token, slowly) on the CPU.
 *
 * <p>Methods are synchronized; one caption runs at a time.
 */
public final class ImageCaptioner implements AutoCloseable {

    /**
     * How the captioner runs.
     *
     * @param device              compute device
     * @param precision           compute dtype (upstream: bf16)
     * @param residency           which weights stay materialised while loaded
     * @param tokenIdMap          tokenizer ids to model ids (identity for real checkpoints)
     * @param modelIdToTokenId    model ids back to tokenizer ids, for decoding the caption (identity for real ones)
     * @param releaseAfterCaption release the weights right after each caption
     * @param progressInterval    generated tokens per {@link CaptionProgress#tokens} report (>= 1)
     * @param seed                seed of the draw when the generation config samples (null: unseeded, as
     *                            upstream passes no generator); unused for greedy decoding
     */
    public record Options(ComputeDevice device, Precision precision, ResidencyPolicy residency,
            LongUnaryOperator tokenIdMap, LongUnaryOperator modelIdToTokenId, boolean releaseAfterCaption,
            int progressInterval, Long seed) {
        public Options {
            Objects.requireNonNull(device, "device");
            Objects.requireNonNull(precision, "precision");
            Objects.requireNonNull(residency, "residency");
            Objects.requireNonNull(tokenIdMap, "tokenIdMap");
            Objects.requireNonNull(modelIdToTokenId, "modelIdToTokenId");
            if (progressInterval < 1) {
                throw new IllegalArgumentException("progressInterval must be >= 1, got " + progressInterval);
            }
        }

        /** The device's default precision; resident weights on CUDA, auto on the CPU; identity ids; kept loaded. */
        public static Options defaults(ComputeDevice device) {
            return new Options(device, Precision.defaultFor(device),
                    device.isCuda() ? ResidencyPolicy.resident() : ResidencyPolicy.auto(),
                    LongUnaryOperator.identity(), LongUnaryOperator.identity(), false, 8, null);
        }

        public Options withPrecision(Precision p) {
            return new Options(device, p, residency, tokenIdMap, modelIdToTokenId, releaseAfterCaption,
                    progressInterval, seed);
        }

        public Options withResidency(ResidencyPolicy r) {
            return new Options(device, precision, r, tokenIdMap, modelIdToTokenId, releaseAfterCaption,
                    progressInterval, seed);
        }

        /** Id maps for a test model with a small vocabulary. */
        public Options withTokenIdMaps(LongUnaryOperator toModel, LongUnaryOperator toTokenizer) {
            return new Options(device, precision, residency, toModel, toTokenizer, releaseAfterCaption,
                    progressInterval, seed);
        }

        public Options withReleaseAfterCaption(boolean r) {
            return new Options(device, precision, residency, tokenIdMap, modelIdToTokenId, r, progressInterval,
                    seed);
        }

        public Options withProgressInterval(int n) {
            return new Options(device, precision, residency, tokenIdMap, modelIdToTokenId, releaseAfterCaption, n,
                    seed);
        }

        public Options withSeed(Long s) {
            return new Options(device, precision, residency, tokenIdMap, modelIdToTokenId, releaseAfterCaption,
                    progressInterval, s);
        }
    }

    /**
     * One image's model input.
     *
     * @param tokenizerIds the prompt's tokenizer ids with {@code <|image_pad|>} expanded
     * @param input        the model input (model ids, pixel values, grid)
     * @param processed    the processor output
     */
    public record Prepared(long[] tokenizerIds, Qwen25VLModel.Input input, QwenImageProcessor.Processed processed) {
    }

    private final Path textEncoderDir;
    private final QwenTokenizer tokenizer;
    private final boolean ownsTokenizer;
    private final Qwen25VLConfig config;
    private final GenerationConfig generation;
    private final QwenImageProcessor processor;
    private final Options options;
    private Qwen25VLModel model;
    private int modelLoads;
    private boolean closed;

    private ImageCaptioner(Path textEncoderDir, QwenTokenizer tokenizer, boolean ownsTokenizer,
            Qwen25VLConfig config, GenerationConfig generation, ImageProcessorConfig processorConfig,
            Options options) {
        this.textEncoderDir = textEncoderDir;
        this.tokenizer = tokenizer;
        this.ownsTokenizer = ownsTokenizer;
        this.config = config;
        this.generation = generation;
        this.processor = new QwenImageProcessor(processorConfig);
        this.options = options;
    }

    /**
     * A captioner for a model folder: a diffusers pipeline folder ({@code model_index.json} with component folders
     * {@code text_encoder/}, {@code tokenizer/}, {@code processor/}), or one Qwen2.5-VL folder holding the
     * config, weights, tokenizer and {@code preprocessor_config.json} together.
     */
    public static ImageCaptioner open(Path model, Options options) throws IOException {
        if (!Files.isDirectory(model)) {
            throw new IOException(model + ": model folder not found");
        }
        if (isQwenVlFolder(model)) {
            return open(model, model, model, options);
        }
        return open(ModelIndex.read(model), options);
    }

    /** A captioner for a pipeline folder's {@code text_encoder/}, {@code tokenizer/} and (optional) {@code processor/}. */
    public static ImageCaptioner open(ModelIndex index, Options options) throws IOException {
        Path processor = index.isPresent("processor") ? index.componentDir("processor") : null;
        return open(index.componentDir("text_encoder"), index.componentDir("tokenizer"), processor, options);
    }

    /**
     * A captioner for explicit folders.
     *
     * @param processorDir the folder with {@code preprocessor_config.json}; null to look in the text encoder and
     *                     tokenizer folders, then use the Qwen2.5-VL-7B-Instruct values
     */
    public static ImageCaptioner open(Path textEncoderDir, Path tokenizerDir, Path processorDir, Options options)
            throws IOException {
        QwenTokenizer tok = QwenTokenizer.load(tokenizerDir);
        try {
            return create(textEncoderDir, tok, true, processorConfig(processorDir, textEncoderDir, tokenizerDir),
                    options);
        } catch (IOException | RuntimeException e) {
            tok.close();
            throw e;
        }
    }

    /** As {@link #open(Path, Path, Path, Options)} with a tokenizer the caller owns (and closes). */
    public static ImageCaptioner open(Path textEncoderDir, QwenTokenizer tokenizer, Path processorDir,
            Options options) throws IOException {
        return create(textEncoderDir, tokenizer, false, processorConfig(processorDir, textEncoderDir, null), options);
    }

    private static ImageCaptioner create(Path dir, QwenTokenizer tok, boolean owns, ImageProcessorConfig pc,
            Options options) throws IOException {
        Path cfg = dir.resolve("config.json");
        if (!Files.isRegularFile(cfg)) {
            throw new IOException(dir + ": text encoder config.json not found");
        }
        Qwen25VLConfig config = Qwen25VLConfig.read(cfg);
        GenerationConfig gen = GenerationConfig.read(dir, config.eosTokenId());
        if (pc.patchSize() != config.vision().patchSize() || pc.mergeSize() != config.vision().spatialMergeSize()
                || pc.temporalPatchSize() != config.vision().temporalPatchSize()) {
            throw new ConfigException(cfg + ": the vision tower (patch " + config.vision().patchSize() + ", merge "
                    + config.vision().spatialMergeSize() + ", temporal patch " + config.vision().temporalPatchSize()
                    + ") does not fit the image processor (patch " + pc.patchSize() + ", merge " + pc.mergeSize()
                    + ", temporal patch " + pc.temporalPatchSize() + ")");
        }
        return new ImageCaptioner(dir, tok, owns, config, gen, pc, options);
    }

    private static ImageProcessorConfig processorConfig(Path processorDir, Path textEncoderDir, Path tokenizerDir)
            throws ConfigException {
        List<Path> candidates = new ArrayList<>();
        if (processorDir != null) {
            candidates.add(processorDir);
        }
        candidates.add(textEncoderDir);
        if (tokenizerDir != null) {
            candidates.add(tokenizerDir);
        }
        for (Path p : candidates) {
            if (Files.isRegularFile(p.resolve("preprocessor_config.json"))) {
                return ImageProcessorConfig.read(p);
            }
        }
        if (processorDir != null) {
            throw new ConfigException(processorDir + ": preprocessor_config.json not found");
        }
        return ImageProcessorConfig.qwen25Vl();
    }

    private static boolean isQwenVlFolder(Path dir) throws IOException {
        Path cfg = dir.resolve("config.json");
        if (!Files.isRegularFile(cfg) || !(Files.isRegularFile(dir.resolve("tokenizer.json"))
                || Files.isRegularFile(dir.resolve("vocab.json")))) {
            return false;
        }
        try (Stream<Path> s = Files.list(dir)) {
            if (s.noneMatch(p -> p.getFileName().toString().endsWith(".safetensors")
                    || p.getFileName().toString().endsWith(".safetensors.index.json"))) {
                return false;
            }
        }
        return JsonConfig.read(cfg).has("vision_config");
    }

    /** Whether the pipeline captions instead of using {@code prompt}: {@code None}, {@code ""} or {@code " "}. */
    public static boolean needsCaption(String prompt) {
        return prompt == null || prompt.isEmpty() || prompt.equals(" ");
    }

    public Qwen25VLConfig config() {
        return config;
    }

    /** The generation settings of {@code generation_config.json} (transformers' defaults when absent). */
    public GenerationConfig generationConfig() {
        return generation;
    }

    public QwenImageProcessor processor() {
        return processor;
    }

    public QwenTokenizer tokenizer() {
        return tokenizer;
    }

    public Options options() {
        return options;
    }

    /**
     * The processor's output for an image and the caption prompt: {@code Qwen2VLProcessor(text=prompt,
     * images=image)} (pad expanded to the merged-token count, ids mapped to the model's).
     */
    public synchronized Prepared prepare(RgbaImage image, boolean english) {
        QwenImageProcessor.Processed p = processor.process(image);
        String text = CaptionPrompt.expand(CaptionPrompt.of(english), p.mergedTokens());
        long[] ids = tokenizer.encode(text);
        long[] modelIds = new long[ids.length];
        int pads = 0;
        for (int i = 0; i < ids.length; i++) {
            modelIds[i] = options.tokenIdMap().applyAsLong(ids[i]);
            if (modelIds[i] == config.imageTokenId()) {
                pads++;
            }
        }
        if (pads != p.mergedTokens()) {
            throw new IllegalStateException("the caption prompt has " + pads + " image tokens (id "
                    + config.imageTokenId() + ") for " + p.mergedTokens() + " image embeddings: the tokenizer's "
                    + CaptionPrompt.IMAGE_PAD + " is not the model's image_token_id");
        }
        Qwen25VLModel.Input input = new Qwen25VLModel.Input(modelIds, p.pixelValues(), new long[][] {p.gridThw()});
        return new Prepared(ids, input, p);
    }

    /** {@link #caption(RgbaImage, boolean, int, CaptionProgress, Cancellation)} with 512 tokens, English. */
    public String caption(RgbaImage image) throws IOException {
        return caption(image, true, GenerationConfig.CAPTION_MAX_NEW_TOKENS, CaptionProgress.NONE, null);
    }

    /**
     * Captions an image as {@code get_image_caption} does.
     *
     * @param image        the image upstream captions: the bucket-resized RGBA input (alpha is dropped)
     * @param english      {@code use_en_prompt} (the official README and app use English)
     * @param maxNewTokens {@code max_new_tokens} (upstream: 512)
     * @param progress     stage and token-batch reports
     * @param cancel       checked between tokens, vision blocks and layers; null for none
     * @return the caption: new tokens decoded with special tokens skipped, stripped
     * @throws Cancellation.CancelledException when cancelled (all native memory of the call is released)
     */
    public synchronized String caption(RgbaImage image, boolean english, int maxNewTokens, CaptionProgress progress,
            Cancellation cancel) throws IOException {
        if (closed) {
            throw new IllegalStateException("the image captioner was closed");
        }
        if (maxNewTokens < 1) {
            throw new IllegalArgumentException("max_new_tokens must be >= 1, got " + maxNewTokens);
        }
        CaptionProgress pr = progress == null ? CaptionProgress.NONE : progress;
        Runnable checkpoint = cancel == null ? null : cancel::check;
        if (cancel != null) {
            cancel.check();
        }
        try {
            pr.stage("process image");
            Prepared prepared = prepare(image, english);
            if (model == null) {
                pr.stage("load captioner");
            }
            Qwen25VLModel m = ensureLoaded();
            if (cancel != null) {
                cancel.check();
            }
            pr.stage("generate caption");
            List<Long> generated = new ArrayList<>();
            int interval = options.progressInterval();
            Random random = options.seed() == null ? new Random() : new Random(options.seed());
            long[] ids = m.generate(prepared.input(), generation, maxNewTokens, (index, id) -> {
                generated.add(id);
                if ((index + 1) % interval == 0) {
                    pr.tokens(index + 1, maxNewTokens, decode(generated.stream().mapToLong(Long::longValue)
                            .toArray(), false));
                }
            }, checkpoint, random);
            String caption = decode(ids, true);
            if (ids.length % interval != 0) {
                pr.tokens(ids.length, maxNewTokens, decode(ids, false));
            }
            return caption;
        } finally {
            if (options.releaseAfterCaption()) {
                releaseModel();
            }
        }
    }

    /** Model ids to text: mapped back to tokenizer ids, special tokens skipped, optionally Python-stripped. */
    private String decode(long[] modelIds, boolean strip) {
        long[] ids = new long[modelIds.length];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = options.modelIdToTokenId().applyAsLong(modelIds[i]);
        }
        String text = tokenizer.decode(ids, true);
        return strip ? pythonStrip(text) : text;
    }

    /** Python's {@code str.strip()}: removes leading and trailing characters for which {@code isspace()} holds. */
    public static String pythonStrip(String s) {
        int b = 0;
        int e = s.length();
        while (b < e && isPythonSpace(s.charAt(b))) {
            b++;
        }
        while (e > b && isPythonSpace(s.charAt(e - 1))) {
            e--;
        }
        return s.substring(b, e);
    }

    private static boolean isPythonSpace(char c) {
        return c == ' ' || (c >= '\t' && c <= '\r') || (c >= '\u001c' && c <= '\u001f') || c == '\u0085'
                || c == '\u00a0' || c == '\u1680' || (c >= '\u2000' && c <= '\u200a') || c == '\u2028'
                || c == '\u2029' || c == '\u202f' || c == '\u205f' || c == '\u3000';
    }

    private Qwen25VLModel ensureLoaded() throws IOException {
        if (model == null) {
            model = Qwen25VLModel.open(textEncoderDir, options.device(), options.precision(), options.residency());
            modelLoads++;
        }
        return model;
    }

    /** The loaded model (loading it now if needed), for lower-level use and tests. */
    public synchronized Qwen25VLModel model() throws IOException {
        if (closed) {
            throw new IllegalStateException("the image captioner was closed");
        }
        return ensureLoaded();
    }

    public synchronized boolean isModelLoaded() {
        return model != null;
    }

    /** Times the weights were loaded so far. */
    public synchronized int modelLoads() {
        return modelLoads;
    }

    /** Frees the weights (tokenizer and configs stay). Idempotent. */
    public synchronized void releaseModel() throws IOException {
        if (model != null) {
            Qwen25VLModel m = model;
            model = null;
            m.close();
        }
    }

    /** Releases the weights and closes the tokenizer if this captioner opened it. */
    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            releaseModel();
        } finally {
            if (ownsTokenizer) {
                tokenizer.close();
            }
        }
    }
}
