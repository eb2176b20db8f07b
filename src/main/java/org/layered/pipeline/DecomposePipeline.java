package org.layered.pipeline;

import org.layered.engine.Cancellation;
import org.layered.engine.ComputeDevice;
import org.layered.engine.DType;
import org.layered.engine.Ops;
import org.layered.engine.Precision;
import org.layered.engine.Tensor;
import org.layered.engine.TensorScope;
import org.layered.engine.TorchEngine;
import org.layered.image.ImageTensors;
import org.layered.image.RgbaImage;
import org.layered.layers.LayerStack;
import org.layered.model.transformer.QwenImageTransformer;
import org.layered.weights.residency.ResidencyPolicy;
import org.layered.model.vae.RgbaVae;
import org.layered.weights.ModelFilesChangedException;
import org.layered.weights.ModelFingerprint;
import org.layered.weights.config.ModelIndex;
import org.layered.weights.safetensors.TensorValues;

import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Qwen-Image-Layered decomposition, as diffusers' {@code QwenImageLayeredPipeline.__call__}: image → bucket-sized
 * RGBA → condition latents; noise for N+1 frames; flow-match Euler steps with true CFG; frame 0 (the regenerated
 * composite) dropped; N layers decoded to straight-alpha RGBA, bottom to top.
 *
 * <p>Every stage runs in its own tensor scope; each step keeps only the new latents, so memory stays flat over the
 * steps and a cancelled or failed run leaves nothing allocated.
 *
 * <p>Guards: the model's files are fingerprinted before they are read, and a run refuses to start, or to deliver its
 * result, when they changed since ({@link ModelFilesChangedException}: load the model again). The text embeddings,
 * the encoded image, the latents after every step and the decoded layers are checked for NaN and infinity with one
 * fused reduction each ({@link NonFiniteValuesException}).
 */
public final class DecomposePipeline implements AutoCloseable {
    private final ModelIndex model;
    private final ModelCheck check;
    private final ComputeDevice device;
    private final Precision precision;
    private final RgbaVae vae;
    private final Path transformerDir;
    private final QwenImageTransformer.Options transformerOptions;
    private QwenImageTransformer transformer;
    private final FlowMatchEulerScheduler scheduler;
    private final Function<DecomposePipeline, PromptEncoding> promptEncoderFactory;
    private final ModelFingerprint files;
    private volatile DecompositionPlan plan;
    private PromptEncoding promptEncoder;
    private volatile GuidanceBatching guidanceBatching = GuidanceBatching.AUTO;

    private DecomposePipeline(ModelCheck check, ComputeDevice device, Precision precision, RgbaVae vae,
            Path transformerDir, QwenImageTransformer.Options transformerOptions, FlowMatchEulerScheduler scheduler,
            Function<DecomposePipeline, PromptEncoding> promptEncoderFactory, DecompositionPlan plan,
            ModelFingerprint files) {
        this.files = files;
        this.check = check;
        this.model = check.index();
        this.device = device;
        this.precision = precision;
        this.vae = vae;
        this.transformerDir = transformerDir;
        this.transformerOptions = transformerOptions;
        this.scheduler = scheduler;
        this.promptEncoderFactory = promptEncoderFactory;
        this.plan = plan;
    }

    /**
     * Opens the model folder's scheduler, VAE and transformer on {@code device}, the transformer's weights held as
     * {@link ResidencyPolicy#auto()} decides. The text encoder is opened only when a prompt must be encoded: through
     * {@code promptEncoders}, or when that is null, from the folder's {@code text_encoder/} and {@code tokenizer/}.
     */
    public static DecomposePipeline open(Path modelDir, ComputeDevice device, Precision precision,
            Function<DecomposePipeline, PromptEncoding> promptEncoders) throws IOException {
        return open(modelDir, device, precision, ResidencyPolicy.auto(), promptEncoders);
    }

    /**
     * The same with an explicit residency policy for the transformer's weights, which are loaded now; the text
     * encoder is released after prompt encoding.
     */
    public static DecomposePipeline open(Path modelDir, ComputeDevice device, Precision precision,
            ResidencyPolicy residency, Function<DecomposePipeline, PromptEncoding> promptEncoders)
            throws IOException {
        DecomposePipeline p = open(modelDir, device, precision, residency, null, promptEncoders);
        try {
            p.transformer();
            return p;
        } catch (IOException | RuntimeException e) {
            p.close();
            throw e;
        }
    }

    /**
     * Opens the model as a memory plan says ({@link DecompositionPlanner}): the transformer with the plan's residency
     * and weight format, loaded when the first denoising step needs it (after the text encoder has run and, as the
     * plan decides, been released); the text encoder and the captioner with the plan's residencies.
     */
    public static DecomposePipeline open(Path modelDir, ComputeDevice device, Precision precision,
            DecompositionPlan plan, Function<DecomposePipeline, PromptEncoding> promptEncoders) throws IOException {
        return open(modelDir, device, precision, plan.transformerPolicy(), plan, promptEncoders);
    }

    private static DecomposePipeline open(Path modelDir, ComputeDevice device, Precision precision,
            ResidencyPolicy residency, DecompositionPlan plan,
            Function<DecomposePipeline, PromptEncoding> promptEncoders) throws IOException {
        // first, so that a file changing while the model loads is noticed at the next run
        ModelFingerprint files = ModelFingerprint.of(modelDir, ModelIndex.COMPONENT_KEYS);
        ModelCheck check = ModelCheck.of(modelDir);
        check.requireRunnable();
        ModelIndex index = check.index();
        FlowMatchEulerScheduler scheduler = new FlowMatchEulerScheduler(
                FlowMatchSchedulerConfig.read(index.componentDir("scheduler")));
        RgbaVae vae = RgbaVae.load(index.componentDir("vae"), device, precision);
        return new DecomposePipeline(check, device, precision, vae, index.componentDir("transformer"),
                new QwenImageTransformer.Options(device, precision, residency), scheduler, promptEncoders, plan,
                files);
    }

    /** The transformer, loaded on first use with the residency chosen at open. */
    private QwenImageTransformer transformer() throws IOException {
        if (transformer == null) {
            transformer = QwenImageTransformer.load(transformerDir, transformerOptions);
        }
        return transformer;
    }

    /** Whether the transformer's weights are loaded (they stay loaded until {@link #close()}). */
    public boolean isTransformerLoaded() {
        return transformer != null;
    }

    /** The VAE (for tests: the strip budget the plan set). */
    RgbaVae vae() {
        return vae;
    }

    /** The memory plan the pipeline follows, or null when it was opened with a residency policy instead. */
    public DecompositionPlan plan() {
        return plan;
    }

    /**
     * Follows {@code next} from the next run on (a model kept loaded, settings changed), if the transformer it
     * asks for is what this pipeline loads or has loaded.
     *
     * @return false when {@code next} needs the model opened again (another transformer residency)
     */
    public boolean follow(DecompositionPlan next) {
        if (!next.transformerPolicy().equals(transformerOptions.residency())) {
            return false;
        }
        plan = next;
        return true;
    }

    /**
     * How the model's files differ from when this pipeline was opened (one entry per file, see
     * {@link ModelFingerprint#changes()}); empty when they are unchanged. A long-lived holder checks it before each
     * run and opens the model again when it is not empty.
     */
    public List<String> changedFiles() throws IOException {
        return files.changes();
    }

    public ModelIndex model() {
        return model;
    }

    public ComputeDevice device() {
        return device;
    }

    public Precision precision() {
        return precision;
    }

    /** How true CFG's two predictions per step are computed (default {@link GuidanceBatching#AUTO}). */
    public GuidanceBatching guidanceBatching() {
        return guidanceBatching;
    }

    public DecomposePipeline guidanceBatching(GuidanceBatching mode) {
        this.guidanceBatching = java.util.Objects.requireNonNull(mode, "mode");
        return this;
    }

    /**
     * Decomposes {@code image}.
     *
     * @param given    tensors supplied instead of computed (embeddings, initial noise); {@link GivenInputs#NONE}
     * @throws Cancellation.CancelledException when {@code cancel} was triggered; nothing stays allocated
     */
    public Decomposition run(RgbaImage image, DecomposeSettings settings, GivenInputs given,
            ProgressListener progress, Cancellation cancel) throws IOException {
        requireUnchangedFiles("since the model was loaded; load it again");
        requireFiniteInputs(given);
        Map<String, Double> seconds = new LinkedHashMap<>();
        StageClock clock = new StageClock(progress, cancel, seconds);
        long seed = settings.seed() != null ? settings.seed() : new SecureRandom().nextLong() & Long.MAX_VALUE;
        DecomposeSettings used = settings.withSeed(seed);
        int n = settings.layers();
        DType dtype = precision.dtype();

        try (TensorScope run = TensorScope.open()) {
            clock.start("preprocess");
            ResolutionBucket bucket = ResolutionBucket.forImage(settings.resolution(), image.width(), image.height());
            RgbaImage resized = bucket.fit(image);
            Tensor pixels = ImageTensors.preprocess(resized, device);

            clock.start("encode prompt");
            String prompt = given.prompt() != null ? "" : settings.prompt();
            boolean captioned = given.prompt() == null && settings.wantsCaption();
            if (captioned) {
                clock.start("caption");
                prompt = caption(resized, cancel);
                clock.start("encode prompt");
            }
            boolean wantNegative = given.negative() == null && settings.negativePrompt() != null
                    && settings.cfgScale() > 1;
            List<String> toEncode = new ArrayList<>();
            if (given.prompt() == null) {
                toEncode.add(prompt);
            }
            if (wantNegative) {
                toEncode.add(settings.negativePrompt());
            }
            List<TextConditioning> encoded = toEncode.isEmpty() ? List.of() : promptEncoder().encode(toEncode);
            TextConditioning positive = given.prompt() != null ? given.prompt() : encoded.get(0);
            TextConditioning negative = given.negative() != null ? given.negative()
                    : wantNegative ? encoded.get(encoded.size() - 1) : null;
            if (promptEncoder != null && (plan == null || !plan.keepTextEncoder())) {
                promptEncoder.release(); // the plan keeps it only when everything fits with it
            }
            boolean cfg = Guidance.isActive(settings.cfgScale(), negative != null);
            positive = inDtype(positive, dtype);
            negative = cfg ? inDtype(negative, dtype) : null;
            if (given.prompt() == null) {
                requireFinite(positive.embeds(), "encode prompt", textEncoderMessage("prompt"));
            }
            if (negative != null && given.negative() == null) {
                requireFinite(negative.embeds(), "encode prompt", textEncoderMessage("negative prompt"));
            }

            clock.start("encode image");
            if (plan != null) {
                vae.stripBudgetBytes(plan.encodeStripBytes());
            }
            Tensor condition = LatentPacking.packCondition(vae.encodeNormalized(pixels), 1);
            condition = Ops.as(condition, dtype);
            requireFinite(condition, "encode image", "the VAE encoder turned the image into NaN or infinite "
                    + "latents: " + damaged("vae"));

            clock.start("noise");
            int h = bucket.latentHeight();
            int w = bucket.latentWidth();
            long tokens = (long) (n + 1) * bucket.tokensPerFrame();
            Tensor latents = given.latents() != null ? checkedLatents(given.latents(), tokens)
                    : LatentPacking.pack(Ops.seededNormal(seed, new long[] {1, n + 1, 16, h, w}, device));
            latents = Ops.as(latents, dtype);
            if (latents == given.latents()) {
                latents = latents.copy(); // the loop frees each step's input; the caller's tensor stays theirs
            }

            clock.start("denoise");
            FlowMatchEulerScheduler.Schedule schedule = scheduler.layeredSchedule(settings.steps(),
                    bucket.tokensPerFrame());
            // both guidance branches as one batch of two, the shorter prompt padded and masked
            TextConditioning pair = cfg && oneBatch() ? positive.pairedWith(negative) : null;
            for (int i = 0; i < schedule.steps(); i++) {
                cancel.check();
                try (TensorScope step = TensorScope.open()) {
                    Tensor input = Ops.concat(List.of(latents, condition), 1);
                    float t = transformerTimestep(schedule.timestep(i), dtype);
                    Tensor v;
                    if (pair != null) {
                        Tensor[] both = predictPair(input, pair, t, n, bucket, tokens);
                        v = Guidance.apply(both[0], both[1], settings.cfgScale(), settings.cfgNormalize());
                    } else {
                        v = predict(input, positive, t, n, bucket, tokens);
                        if (cfg) {
                            Tensor vNeg = predict(input, negative, t, n, bucket, tokens);
                            v = Guidance.apply(v, vNeg, settings.cfgScale(), settings.cfgNormalize());
                        }
                    }
                    Tensor next = step.keep(schedule.step(i, v, latents));
                    latents.close();
                    latents = next;
                    requireFinite(latents, "denoise step " + (i + 1), stepMessage(i + 1, schedule.steps(), dtype));
                    progress.stepEnd(i + 1, latents);
                }
                progress.step(i + 1, schedule.steps());
            }

            clock.start("decode layers");
            List<RgbaImage> layers = decodeLayers(latents, bucket, n);

            clock.start("composite");
            LayerStack stack = LayerStack.of(layers, resized);
            clock.stop();
            requireUnchangedFiles("during the run: the result may mix old and new weights and was discarded; run "
                    + "again to load the model anew");
            return new Decomposition(stack, resized, bucket, used, prompt, captioned, cfg, seconds);
        } finally {
            TorchEngine.get().releaseFreedMemory();
        }
    }

    /** Upstream's automatic caption of the bucket-resized image, by the text model. */
    private String caption(RgbaImage resized, Cancellation cancel) throws IOException {
        if (promptEncoderFactory == null) {
            check.requireTextEncoder("to caption the image (no prompt was given)",
                    "give a prompt (or --inputs with prompt embeddings)");
        }
        return promptEncoder().caption(resized, cancel);
    }

    /** The transformer's prediction for the noisy frames only (the condition tokens' outputs are dropped). */
    private Tensor predict(Tensor input, TextConditioning text, float t, int layers, ResolutionBucket bucket,
            long tokens) throws IOException {
        Tensor out = transformer().forward(input, text.embeds(), text.mask(), new float[] {t}, new long[] {0},
                layers, bucket.gridHeight(), bucket.gridWidth());
        return out.slice(1, 0, tokens);
    }

    /**
     * Both guidance branches in one transformer call: the input twice, the paired prompts; {cond, uncond}
     * predictions for the noisy frames.
     */
    private Tensor[] predictPair(Tensor input, TextConditioning pair, float t, int layers, ResolutionBucket bucket,
            long tokens) throws IOException {
        Tensor out = transformer().forward(Ops.concat(List.of(input, input), 0), pair.embeds(), pair.mask(),
                new float[] {t, t}, new long[] {0, 0}, layers, bucket.gridHeight(), bucket.gridWidth());
        return new Tensor[] {out.slice(0, 0, 1).slice(1, 0, tokens), out.slice(0, 1, 2).slice(1, 0, tokens)};
    }

    /**
     * Whether this run computes both guidance branches as one batch ({@link GuidanceBatching}): in {@code AUTO}, when
     * the memory plan the pipeline follows says the doubled activations fit ({@link DecompositionPlan#batchedGuidance});
     * without a plan, two calls.
     */
    boolean oneBatch() {
        return switch (guidanceBatching) {
            case ONE_BATCH -> true;
            case TWO_CALLS -> false;
            case AUTO -> plan != null && plan.batchedGuidance();
        };
    }

    /**
     * The value upstream hands the transformer: {@code t.expand(B).to(latents.dtype) / 1000}, each step rounded to
     * the latents' dtype (bf16 on GPU, so the model sees quantised timesteps, as upstream).
     */
    static float transformerTimestep(float t, DType latentsDtype) {
        if (latentsDtype == DType.BF16) {
            return bf16(bf16(t) / 1000f);
        }
        return t / 1000f;
    }

    private static float bf16(float f) {
        return TensorValues.bf16ToFloat(TensorValues.floatToBf16(f));
    }

    /** Unpacks, drops frame 0, de-normalises and decodes the N layer frames; bottom layer first. */
    private List<RgbaImage> decodeLayers(Tensor latents, ResolutionBucket bucket, int n) {
        try (TensorScope s = TensorScope.open()) {
            Tensor frames = LatentPacking.unpack(latents, bucket.height(), bucket.width(), n,
                    ResolutionBucket.VAE_SCALE_FACTOR); // (1, 16, N+1, h, w)
            Tensor layers = frames.slice(2, 1, n + 1).permute(0, 2, 1, 3, 4)
                    .reshape(n, frames.size(1), 1, frames.size(3), frames.size(4));
            if (plan != null) {
                vae.stripBudgetBytes(plan.decodeStripBytes());
            }
            Tensor images = vae.decodeNormalized(layers); // (N, 4, 1, H, W)
            requireFinite(images, "decode layers", "the VAE decoder turned finite latents into NaN or infinite "
                    + "pixels: " + damaged("vae"));
            return ImageTensors.postprocess(images.squeeze(2));
        }
    }

    private void requireUnchangedFiles(String when) throws IOException {
        List<String> changed = files.changes();
        if (!changed.isEmpty()) {
            throw new ModelFilesChangedException(files.root() + ": " + ModelFingerprint.summary(changed) + " "
                    + when);
        }
    }

    private static void requireFinite(Tensor t, String stage, String message) {
        if (!Ops.allFinite(t)) {
            throw new NonFiniteValuesException(stage, "NaN or infinite values at stage '" + stage + "': " + message);
        }
    }

    /** Given tensors are checked before any work: NaN in them is the inputs' fault, not the model's. */
    private static void requireFiniteInputs(GivenInputs given) {
        String check = "; check the inputs file (--inputs)";
        if (given.prompt() != null) {
            requireFinite(given.prompt().embeds(), "inputs", "the given 'prompt_embeds' hold NaN or infinite "
                    + "values" + check);
        }
        if (given.negative() != null) {
            requireFinite(given.negative().embeds(), "inputs", "the given 'negative_prompt_embeds' hold NaN or "
                    + "infinite values" + check);
        }
        if (given.latents() != null) {
            requireFinite(given.latents(), "inputs", "the given initial 'latents' hold NaN or infinite values"
                    + check);
        }
    }

    private String textEncoderMessage(String which) {
        return "the text encoder turned the " + which + " into NaN or infinite embeddings: "
                + damaged("text_encoder");
    }

    /** The first step is where damaged transformer weights show; later, after finite steps, it is an overflow. */
    private String stepMessage(int step, int steps, DType dtype) {
        if (step == 1) {
            return "the latents after denoising step 1 of " + steps + ", computed from finite inputs, are not "
                    + "finite: " + damaged("transformer");
        }
        return "the latents turned non-finite at denoising step " + step + " of " + steps + " after " + (step - 1)
                + " finite step(s): most likely a numeric overflow" + (dtype == DType.BF16
                ? " in " + dtype + " (float32 has more range)" : "") + "; damaged weights would already have "
                + "shown at step 1";
    }

    private String damaged(String component) {
        return "its weights (" + component + "/) are probably damaged; 'layered info --model " + model.root()
                + " --verify true' names the tensors that hold NaN or infinity";
    }

    private static Tensor checkedLatents(Tensor latents, long tokens) {
        long[] s = latents.shape();
        if (s.length != 3 || s[0] != 1 || s[1] != tokens || s[2] != 64) {
            throw new IllegalArgumentException("given latents have shape " + java.util.Arrays.toString(s)
                    + " but this image and layer count need (1, " + tokens + ", 64): (layers+1) x tokens per frame");
        }
        return latents;
    }

    private static TextConditioning inDtype(TextConditioning c, DType dtype) {
        return new TextConditioning(Ops.as(c.embeds(), dtype), c.mask());
    }

    private PromptEncoding promptEncoder() throws IOException {
        if (promptEncoder == null) {
            if (promptEncoderFactory != null) {
                promptEncoder = promptEncoderFactory.apply(this);
            } else {
                check.requireTextEncoder("to encode the prompt", "give prompt embeddings with --inputs");
                promptEncoder = plan == null ? QwenPromptEncoding.open(model, device, precision)
                        : QwenPromptEncoding.open(model, device, precision, plan);
            }
        }
        return promptEncoder;
    }

    @Override
    public void close() throws IOException {
        try {
            if (promptEncoder != null) {
                promptEncoder.close();
            }
        } finally {
            try {
                if (transformer != null) {
                    transformer.close();
                }
            } finally {
                vae.close();
            }
        }
    }

    /** Times stages, reports them to the listener and checks for cancellation between them. */
    private static final class StageClock {
        private final ProgressListener progress;
        private final Cancellation cancel;
        private final Map<String, Double> seconds;
        private String current;
        private long started;

        StageClock(ProgressListener progress, Cancellation cancel, Map<String, Double> seconds) {
            this.progress = progress;
            this.cancel = cancel;
            this.seconds = seconds;
        }

        void start(String stage) {
            stop();
            cancel.check();
            current = stage;
            started = System.nanoTime();
            progress.stage(stage);
        }

        void stop() {
            if (current != null) {
                seconds.put(current, (System.nanoTime() - started) / 1e9);
                current = null;
            }
        }
    }
}
