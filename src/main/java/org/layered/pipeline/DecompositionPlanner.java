package org.layered.pipeline;

import org.layered.engine.ComputeDevice;
import org.layered.engine.CudaDevice;
import org.layered.engine.CudaDevices;
import org.layered.engine.DType;
import org.layered.engine.Precision;
import org.layered.model.text.Qwen25VLConfig;
import org.layered.model.text.TextEncoderMemory;
import org.layered.model.text.vision.ImageProcessorConfig;
import org.layered.model.text.vision.QwenImageProcessor;
import org.layered.model.transformer.TransformerConfig;
import org.layered.model.transformer.TransformerLayout;
import org.layered.model.transformer.TransformerMemory;
import org.layered.model.vae.VaeConfig;
import org.layered.model.vae.VaeMemory;
import org.layered.weights.residency.ActivationLedger;
import org.layered.weights.residency.GroupSize;
import org.layered.weights.residency.MemoryPlan;
import org.layered.weights.residency.MemoryPlanner;
import org.layered.weights.residency.MemoryPlanner.Component;
import org.layered.weights.residency.MemoryPlanner.Stage;
import org.layered.weights.residency.ResidencyPolicy;
import org.layered.weights.residency.WeightFormat;
import org.layered.weights.residency.WeightGroup;

import com.google.gson.JsonObject;
import org.layered.weights.config.ConfigException;
import org.layered.weights.config.JsonConfig;
import org.layered.weights.config.ModelIndex;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.LongFunction;
import java.util.function.ToLongFunction;

/**
 * Plans a decomposition's memory before anything is loaded: the stages (caption, prompt encoding, VAE encode,
 * denoising, VAE decode), the weights each one needs (sized from the component configs: a model folder's, or the
 * released ones the descriptor records), their tensors (the components' memory models), and the memory there is.
 * The transformer is planned first (it runs 100 times), then the captioner and the text encoder, which run before
 * the transformer is loaded; the text encoder stays for later runs only when everything then still fits.
 *
 * <p>When the run does not fit, the nearest setting that does is searched: float8 weights, then fewer layers, then
 * the 640 bucket.
 */
public final class DecompositionPlanner {
    /** Assumed host-to-device bandwidth for the cost of streaming: PCIe 4.0 x16, about 25 GB/s in practice. */
    public static final double BUS_BYTES_PER_SECOND = 25e9;
    /** Assumed file read bandwidth for groups read from the checkpoint: an NVMe SSD, about 2 GB/s. */
    public static final double DISK_BYTES_PER_SECOND = 2e9;
    /** Device memory kept free for the CUDA context and the libraries' workspaces (cuBLAS, cuDNN). */
    public static final long CUDA_RESERVE = 1L << 30;
    /** Share of the rest kept free for the caching allocator's rounding and fragmentation. */
    public static final double CUDA_SLACK = 0.05;
    /** Host memory kept free for the JVM, libtorch, the image and the operating system. */
    public static final long HOST_RESERVE = 2L << 30;
    /**
     * Tokens of upstream's English caption instruction around the image tokens (Qwen2 tokenizer, checked against the
     * tokenizer in the tests).
     */
    public static final int CAPTION_PROMPT_TOKENS = 220;

    /**
     * The VAE's row-strip budgets a plan chooses from, largest first: whole frames ({@code Long.MAX_VALUE}), then
     * halving down to 16 MiB, which bounds a 1024-pixel frame's full-resolution temporaries to a few strips of rows.
     */
    static final long[] VAE_STRIP_BUDGETS = {Long.MAX_VALUE, 1L << 30, 512L << 20, 256L << 20, 128L << 20,
            64L << 20, 32L << 20, 16L << 20};

    static final String CAPTION = "caption";
    static final String PROMPT = "prompt encoding";
    static final String ENCODE = "VAE encode";
    static final String DENOISE = "denoising";
    static final String DECODE = "VAE decode";

    static final String TRANSFORMER = "transformer";
    static final String CAPTIONER = "captioner";
    static final String TEXT_ENCODER = "text encoder";
    static final String VAE = "vae";

    private DecompositionPlanner() {}

    /**
     * What the plan reads of a model: its component configs (the text encoder's is null when the model has none).
     *
     * @param source where they come from, for the plan's header
     */
    public record ModelConfigs(TransformerConfig transformer, VaeConfig vae, Qwen25VLConfig textEncoder,
            String source) {
        /**
         * The configs of a model folder: {@code transformer/}, {@code vae/} and, when present,
         * {@code text_encoder/config.json}.
         *
         * @throws IOException naming the file that is missing or malformed
         */
        public static ModelConfigs of(ModelIndex model) throws IOException {
            Path te = model.root().resolve("text_encoder").resolve("config.json");
            try {
                return new ModelConfigs(TransformerConfig.read(model.componentDir("transformer")),
                        VaeConfig.read(model.componentDir("vae")), Files.isRegularFile(te) ? Qwen25VLConfig.read(te)
                        : null, model.root().toString());
            } catch (ConfigException e) {
                throw new IOException(e.getMessage(), e);
            }
        }

        /**
         * Configs given as parsed {@code config.json} objects (the released ones a model descriptor records);
         * {@code textEncoder} may be null.
         *
         * @throws IOException naming the component whose config is malformed
         */
        public static ModelConfigs of(JsonObject transformer, JsonObject vae, JsonObject textEncoder, String source)
                throws IOException {
            try {
                return new ModelConfigs(TransformerConfig.from(JsonConfig.of(Path.of(source, "transformer"),
                        transformer)), VaeConfig.from(JsonConfig.of(Path.of(source, "vae"), vae)),
                        textEncoder == null ? null
                                : Qwen25VLConfig.from(JsonConfig.of(Path.of(source, "text_encoder"), textEncoder)),
                        source);
            } catch (ConfigException e) {
                throw new IOException(e.getMessage(), e);
            }
        }
    }

    /**
     * The machine.
     *
     * @param device        e.g. {@code cuda:0 (NVIDIA H100 80GB HBM3, 79.1 GiB)} or {@code cpu}
     * @param cuda          whether the device is a GPU
     * @param deviceTotal   its memory (0 on a CPU)
     * @param deviceFree    its free memory now, as the device reports it (0 on a CPU)
     * @param hostAvailable host memory available ({@code MemAvailable} or given)
     */
    public record Machine(String device, boolean cuda, long deviceTotal, long deviceFree, long hostAvailable) {
        /**
         * The machine a run on {@code device} has: the GPU's total and free memory as the CUDA driver reports them
         * now (no libtorch needed), and the host memory available ({@code MemAvailable}, or {@code ramCap}).
         *
         * @throws IllegalArgumentException when the driver does not know the GPU
         */
        public static Machine of(ComputeDevice device, Long ramCap) {
            long host = ramCap != null ? ramCap : ResidencyPolicy.availableRam();
            if (!device.isCuda()) {
                return new Machine("cpu", false, 0, 0, host);
            }
            CudaDevices devices = CudaDevices.query(true);
            CudaDevice d = devices.device(device.cudaIndex());
            if (d == null) {
                throw new IllegalArgumentException("the CUDA driver reports no device " + device + (devices.problem()
                        != null ? " (" + devices.problem() + ")" : "") + "; plan for a card of a given size with "
                        + "--vram-gib");
            }
            return of(d, ramCap);
        }

        /** A GPU as the driver described it (its free memory when asked, else all of it). */
        public static Machine of(CudaDevice d, Long ramCap) {
            long host = ramCap != null ? ramCap : ResidencyPolicy.availableRam();
            return new Machine(d.label(), true, d.totalBytes(), d.freeBytes() >= 0 ? d.freeBytes()
                    : d.totalBytes(), host);
        }

        /** A GPU of {@code bytes} that is not in this machine (planning for a card one does not have). */
        public static Machine card(long bytes, Long ramCap) {
            long host = ramCap != null ? ramCap : ResidencyPolicy.availableRam();
            return new Machine(String.format(java.util.Locale.ROOT, "a %s GiB GPU (not this machine's)",
                    new java.math.BigDecimal(bytes / (double) (1L << 30)).round(new java.math.MathContext(4))
                            .stripTrailingZeros().toPlainString()), true, bytes, bytes, host);
        }
    }

    /**
     * The run to plan.
     *
     * @param settings           layers, bucket, steps, CFG, prompt
     * @param imageWidth         input width (the bucket's aspect); the bucket's own size when unknown
     * @param imageHeight        input height
     * @param embeddingsGiven    whether prompt embeddings are given (no text encoder runs)
     * @param weights            how the transformer's weights are held
     * @param mode               auto, or forced residency
     * @param vramCap            bytes of device memory the run may use at most, or null
     * @param transformerLoaded  whether the transformer is already held (a model kept loaded between runs)
     * @param textTokens         length of the prompt's conditioning when known (given embeddings), else 0: as long as
     *                           upstream allows ({@code max_sequence_length} 512)
     * @param negativeTokens     length of the negative prompt's conditioning when known, else 0 (" ": 6 tokens)
     * @param precision          the compute precision, or null for the device's default (bf16 on CUDA, float32 on
     *                           the CPU)
     */
    public record Request(DecomposeSettings settings, int imageWidth, int imageHeight, boolean embeddingsGiven,
            WeightFormat weights, MemoryMode mode, Long vramCap, boolean transformerLoaded, int textTokens,
            int negativeTokens, Precision precision) {
        /** A request for an image of {@code width x height} with text lengths unknown. */
        public static Request of(DecomposeSettings settings, int width, int height, boolean embeddingsGiven,
                WeightFormat weights, MemoryMode mode, Long vramCap) {
            return new Request(settings, width, height, embeddingsGiven, weights, mode, vramCap, false, 0, 0, null);
        }

        /** The same request with the transformer already loaded and the given text lengths. */
        public Request withLoadedTransformer(boolean loaded, int text, int negative) {
            return new Request(settings, imageWidth, imageHeight, embeddingsGiven, weights, mode, vramCap, loaded,
                    text, negative, precision);
        }

        /** The same request computing in {@code p} (null: the device's default). */
        public Request withPrecision(Precision p) {
            return new Request(settings, imageWidth, imageHeight, embeddingsGiven, weights, mode, vramCap,
                    transformerLoaded, textTokens, negativeTokens, p);
        }

        Request with(DecomposeSettings s, WeightFormat w) {
            return new Request(s, imageWidth, imageHeight, embeddingsGiven, w, mode, vramCap, transformerLoaded,
                    textTokens, negativeTokens, precision);
        }
    }

    /**
     * The plan of one run of the model folder {@code modelDir} on {@code device}: its configs, the image's size, the
     * given inputs (prompt embeddings mean no text encoder, their lengths are known), the device's free memory now.
     */
    public static DecompositionPlan plan(Path modelDir, int imageWidth, int imageHeight, DecomposeSettings settings,
            GivenInputs given, WeightFormat weights, MemoryMode mode, Long vramCap, ComputeDevice device)
            throws IOException {
        return plan(modelDir, imageWidth, imageHeight, settings, given, weights, mode, vramCap, device, null, false);
    }

    /**
     * The same computing in {@code precision} (null: the device's default), for a model kept loaded, whose
     * transformer may already be held ({@code transformerLoaded}).
     */
    public static DecompositionPlan plan(Path modelDir, int imageWidth, int imageHeight, DecomposeSettings settings,
            GivenInputs given, WeightFormat weights, MemoryMode mode, Long vramCap, ComputeDevice device,
            Precision precision, boolean transformerLoaded) throws IOException {
        ModelConfigs configs;
        try {
            configs = ModelConfigs.of(ModelIndex.read(modelDir));
        } catch (ConfigException e) {
            throw new IOException(e.getMessage(), e);
        }
        boolean negativeNeeded = settings.negativePrompt() != null && settings.cfgScale() > 1;
        boolean noTextEncoder = given.prompt() != null && (given.negative() != null || !negativeNeeded);
        Request r = Request.of(settings, imageWidth, imageHeight, noTextEncoder, weights, mode, vramCap)
                .withLoadedTransformer(transformerLoaded, tokens(given.prompt()), tokens(given.negative()))
                .withPrecision(precision);
        return plan(configs, r, Machine.of(device, null));
    }

    private static int tokens(TextConditioning c) {
        return c == null ? 0 : (int) c.embeds().size(1);
    }

    /** Plans {@code request} and, when it does not fit, names the nearest setting that does. */
    public static DecompositionPlan plan(ModelConfigs model, Request request, Machine machine) {
        DecompositionPlan p = planOnly(model, request, machine);
        if (p.plan().verdict() != MemoryPlan.Verdict.DOES_NOT_FIT) {
            return p;
        }
        return p.withSuggestion(nearest(model, request, machine));
    }

    private static String nearest(ModelConfigs model, Request r, Machine machine) {
        DecomposeSettings s = r.settings();
        List<Request> tries = new ArrayList<>();
        if (r.weights() != WeightFormat.FP8) {
            tries.add(r.with(s, WeightFormat.FP8));
        }
        for (int res : s.resolution() == 1024 ? new int[] {1024, 640} : new int[] {640}) {
            for (int n = s.layers() - 1; n >= 1; n--) {
                tries.add(r.with(s.withResolution(res).withLayers(n), WeightFormat.FP8));
            }
            if (res == 1024) {
                tries.add(r.with(s.withResolution(640), WeightFormat.FP8));
            }
        }
        for (Request t : tries) {
            DecompositionPlan p = planOnly(model, t, machine);
            if (p.plan().verdict() != MemoryPlan.Verdict.DOES_NOT_FIT) {
                return p.settingsFlags(r) + " (" + p.plan().verdict().text() + ")";
            }
        }
        return null;
    }

    static DecompositionPlan planOnly(ModelConfigs model, Request r, Machine machine) {
        DecompositionPlan kept = plan(model, r, machine, true);
        if (kept.plan().verdict() == MemoryPlan.Verdict.FITS) {
            return kept;
        }
        return plan(model, r, machine, false);
    }

    /**
     * The plan with true CFG's two predictions per step as one transformer call on a batch of two on a GPU when the
     * doubled activations fit beside the weights that two calls would hold (the same placement, and a verdict that is
     * not "does not fit"), else as two calls. On a CPU two calls: the batch measured as fast there (within 1 % per
     * step; its matmuls are compute-bound already) for twice the activations.
     */
    private static DecompositionPlan plan(ModelConfigs model, Request r, Machine machine, boolean keepTextEncoder) {
        DecompositionPlan twoCalls = plan(model, r, machine, keepTextEncoder, false);
        if (!twoCalls.cfg() || !machine.cuda()) {
            return twoCalls;
        }
        DecompositionPlan oneBatch = plan(model, r, machine, keepTextEncoder, true);
        return oneBatch.plan().verdict() != MemoryPlan.Verdict.DOES_NOT_FIT
                && oneBatch.plan().placements().equals(twoCalls.plan().placements()) ? oneBatch : twoCalls;
    }

    /**
     * The plan with each VAE stage's row strips (see {@link #VAE_STRIP_BUDGETS}): whole frames, or the largest strip
     * budget, with which the plan keeps the weights where the smallest strips would keep them and still fits (the
     * smallest strips when nothing fits). Strips are exact; whole frames run faster but need the most memory.
     */
    private static DecompositionPlan plan(ModelConfigs model, Request r, Machine machine, boolean keepTextEncoder,
            boolean batchedGuidance) {
        long least = VAE_STRIP_BUDGETS[VAE_STRIP_BUDGETS.length - 1];
        DecompositionPlan lean = plan(model, r, machine, keepTextEncoder, batchedGuidance, least, least);
        long encode = largestFitting(lean, b -> plan(model, r, machine, keepTextEncoder, batchedGuidance, b, least));
        long decode = largestFitting(lean, b -> plan(model, r, machine, keepTextEncoder, batchedGuidance, encode, b));
        return encode == least && decode == least ? lean
                : plan(model, r, machine, keepTextEncoder, batchedGuidance, encode, decode);
    }

    /** The first of {@link #VAE_STRIP_BUDGETS} whose plan fits with the same placements as {@code lean}'s. */
    private static long largestFitting(DecompositionPlan lean, LongFunction<DecompositionPlan> with) {
        for (int i = 0; i < VAE_STRIP_BUDGETS.length - 1; i++) {
            MemoryPlan p = with.apply(VAE_STRIP_BUDGETS[i]).plan();
            if (p.verdict() != MemoryPlan.Verdict.DOES_NOT_FIT && p.placements().equals(lean.plan().placements())) {
                return VAE_STRIP_BUDGETS[i];
            }
        }
        return VAE_STRIP_BUDGETS[VAE_STRIP_BUDGETS.length - 1];
    }

    /** The plan with the given strip budgets for the VAE stages ({@code Long.MAX_VALUE}: whole frames). */
    static DecompositionPlan plan(ModelConfigs model, Request r, Machine machine, boolean keepTextEncoder,
            boolean batchedGuidance, long encodeStrips, long decodeStrips) {
        DecomposeSettings s = r.settings();
        DType dtype = r.precision() != null ? r.precision().dtype() : machine.cuda() ? DType.BF16 : DType.F32;
        ResolutionBucket bucket = ResolutionBucket.forImage(s.resolution(), r.imageWidth(), r.imageHeight());
        boolean cfg = Guidance.isActive(s.cfgScale(), s.negativePrompt() != null);
        boolean texts = !r.embeddingsGiven() && model.textEncoder() != null;
        boolean caption = texts && s.wantsCaption();
        keepTextEncoder &= texts;

        List<Component> components = new ArrayList<>();
        components.add(component(TRANSFORMER, transformerGroups(model.transformer()), dtype, r.weights(),
                r.mode()));
        if (caption) {
            components.add(component(CAPTIONER, TextEncoderMemory.captionGroups(model.textEncoder()), dtype,
                    WeightFormat.BF16, r.mode()));
        }
        if (texts) {
            components.add(component(TEXT_ENCODER, TextEncoderMemory.promptGroups(model.textEncoder()), dtype,
                    WeightFormat.BF16, r.mode()));
        }
        long vae = VaeMemory.heldElements(model.vae());
        components.add(new Component(VAE, List.of(new GroupSize(VAE, vae, 0, 0)), dtype, WeightFormat.BF16,
                false));

        // text lengths: a caption or prompt of up to max_sequence_length tokens, the negative prompt " "
        long promptTokens = r.textTokens() > 0 ? r.textTokens() : QwenPromptEncoding.MAX_SEQUENCE_LENGTH;
        long negTokens = !cfg ? 0 : r.negativeTokens() > 0 ? r.negativeTokens() : 6;
        PipelineMemory run = new PipelineMemory(s.layers(), bucket, promptTokens, negTokens, false, dtype,
                model.transformer().jointAttentionDim(), batchedGuidance && cfg);
        VaeMemory encodeMemory = new VaeMemory(model.vae(), dtype, encodeStrips);
        VaeMemory decodeMemory = new VaeMemory(model.vae(), dtype, decodeStrips);

        List<Stage> stages = new ArrayList<>();
        List<String> early = new ArrayList<>(List.of(VAE));
        if (r.transformerLoaded()) {
            early.add(TRANSFORMER);
        }
        if (caption) {
            int[] size = QwenImageProcessor.smartResize(bucket.height(), bucket.width(), factor(),
                    ImageProcessorConfig.qwen25Vl().minPixels(), ImageProcessorConfig.qwen25Vl().maxPixels());
            long patches = (long) (size[0] / 14) * (size[1] / 14);
            long prompt = CAPTION_PROMPT_TOKENS + patches / 4;
            stages.add(new Stage(CAPTION, with(early, CAPTIONER), List.of(CAPTIONER), acquired -> {
                ActivationLedger l = new ActivationLedger();
                new TextEncoderMemory(model.textEncoder(), dtype, acquired).caption(l, patches, prompt,
                        org.layered.model.text.GenerationConfig.CAPTION_MAX_NEW_TOKENS);
                return l.peak();
            }, 1, "token"));
        }
        if (texts) {
            long[] lengths = cfg ? new long[] {34 + promptTokens + 5, 34 + negTokens} : new long[] {34 + promptTokens
                    + 5};
            stages.add(new Stage(PROMPT, with(early, TEXT_ENCODER), List.of(TEXT_ENCODER), acquired -> {
                ActivationLedger l = new ActivationLedger();
                new TextEncoderMemory(model.textEncoder(), dtype, acquired).encode(l, lengths);
                return l.peak();
            }, 1, "prompt"));
        }
        List<String> held = new ArrayList<>(List.of(VAE));
        if (keepTextEncoder) {
            held.add(TEXT_ENCODER);
        }
        List<String> late = with(held, TRANSFORMER);
        stages.add(new Stage(ENCODE, r.transformerLoaded() ? late : held, List.of(VAE),
                acquired -> run.encodePeak(encodeMemory), 1, "image"));
        stages.add(new Stage(DENOISE, late, List.of(TRANSFORMER),
                acquired -> run.denoisePeak(memory(model, dtype, acquired)), cfg && !batchedGuidance ? 2 : 1,
                "step"));
        stages.add(new Stage(DECODE, late, List.of(VAE),
                acquired -> run.decodePeak(decodeMemory), 1, "image"));

        MemoryPlanner.Budget budget = budget(machine, r.vramCap());
        MemoryPlan plan = MemoryPlanner.plan(components, stages, budget);
        return new DecompositionPlan(model, r, machine, bucket, dtype, cfg, batchedGuidance && cfg, plan,
                keepTextEncoder, encodeStrips, decodeStrips, null);
    }

    private static int factor() {
        ImageProcessorConfig c = ImageProcessorConfig.qwen25Vl();
        return c.patchSize() * c.mergeSize();
    }

    private static TransformerMemory memory(ModelConfigs model, DType dtype, ToLongFunction<String> acquired) {
        return new TransformerMemory(model.transformer(), dtype, acquired);
    }

    private static List<String> with(List<String> list, String extra) {
        List<String> out = new ArrayList<>(list);
        out.add(extra);
        return out;
    }

    private static Component component(String name, List<GroupSize> groups, DType dtype, WeightFormat format,
            MemoryMode mode) {
        return new Component(name, groups, dtype, format, mode != MemoryMode.RESIDENT);
    }

    /** The transformer's groups in residency priority order: input and output layers first, then the blocks. */
    static List<GroupSize> transformerGroups(TransformerConfig c) {
        Map<String, long[]> shapes = TransformerLayout.parameterShapes(c);
        List<WeightGroup> groups = TransformerLayout.groups(c);
        List<GroupSize> out = new ArrayList<>();
        out.add(GroupSize.of(groups.get(0), shapes));
        out.add(GroupSize.of(groups.get(groups.size() - 1), shapes));
        for (WeightGroup g : groups.subList(1, groups.size() - 1)) {
            out.add(GroupSize.of(g, shapes));
        }
        return out;
    }

    /**
     * What tensors may use: on a GPU its free memory (capped by {@code vramCap}) less the CUDA reserve and slack, with
     * host memory less the host reserve for held weights; on a CPU the host memory less the host reserve (there is no
     * device memory to cap).
     */
    static MemoryPlanner.Budget budget(Machine m, Long vramCap) {
        long host = Math.max(0, m.hostAvailable() - HOST_RESERVE);
        if (!m.cuda()) {
            return new MemoryPlanner.Budget(host, host, true);
        }
        long device = m.deviceFree() > 0 ? m.deviceFree() : m.deviceTotal();
        if (vramCap != null) {
            device = Math.min(device, vramCap);
        }
        long usable = (long) ((device - CUDA_RESERVE) * (1 - CUDA_SLACK));
        return new MemoryPlanner.Budget(Math.max(0, usable), host, false);
    }
}
