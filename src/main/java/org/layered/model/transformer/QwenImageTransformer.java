package org.layered.model.transformer;

import org.layered.weights.residency.GroupWeights;
import org.layered.weights.residency.WeightGroup;
import org.layered.weights.residency.WeightResidency;
import org.layered.weights.residency.ResidencyPolicy;
import org.layered.engine.ComputeDevice;
import org.layered.engine.DType;
import org.layered.engine.Ops;
import org.layered.engine.Precision;
import org.layered.engine.Tensor;
import org.layered.engine.TensorScope;
import org.layered.weights.ComfyFp8Weights;
import org.layered.weights.WeightCheck;
import org.layered.weights.WeightSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Qwen-Image-Layered transformer (diffusers {@code QwenImageTransformer2DModel} with {@code use_layer3d_rope}
 * and {@code use_additional_t_cond}): a facade over the weights (headers read at load, tensors when a group is
 * materialised), the weight residency policy and the forward pass.
 *
 * <p>Forward pass (upstream {@code QwenImageTransformer2DModel.forward}): {@code img_in}; {@code txt_norm} (RMSNorm)
 * then {@code txt_in}; timestep embedding (+ {@code addition_t_embedding} row); Layer3D RoPE tables; the
 * double-stream blocks, each run inside its own {@code TensorScope} with its weights acquired from the
 * {@link WeightResidency} right before it runs; {@code norm_out}; {@code proj_out}. Thread use: one forward at a time
 * per thread; the model itself holds no per-call state.
 */
public final class QwenImageTransformer implements AutoCloseable {
    private static final Pattern BLOCK = Pattern.compile("^transformer_blocks\\.(\\d+)\\.");

    /**
     * Where and how to run.
     *
     * @param device    compute device
     * @param precision compute dtype of weights and activations
     * @param residency weight residency policy
     */
    public record Options(ComputeDevice device, Precision precision, ResidencyPolicy residency) {
        public Options {
            Objects.requireNonNull(device, "device");
            Objects.requireNonNull(precision, "precision");
            Objects.requireNonNull(residency, "residency");
        }

        /** CPU, float32, automatic residency. */
        public static Options cpu() {
            return new Options(ComputeDevice.CPU, Precision.FLOAT32, ResidencyPolicy.auto());
        }

        public Options withPrecision(Precision p) {
            return new Options(device, p, residency);
        }

        public Options withResidency(ResidencyPolicy r) {
            return new Options(device, precision, r);
        }
    }

    private final TransformerConfig config;
    private final WeightSource source;
    private final boolean ownsSource;
    private final Options options;
    private final WeightGroup inputGroup;
    private final List<WeightGroup> blockGroups;
    private final WeightGroup outputGroup;
    private final WeightResidency residency;
    private final Layer3DRope rope;
    private final Object ropeCacheLock = new Object();
    private Layer3DRope.Tables ropeCache;
    private List<FrameShape> ropeCacheShapes;
    private int ropeCacheTextLen;
    private volatile boolean closed;

    private QwenImageTransformer(TransformerConfig config, WeightSource source, boolean ownsSource, Options options)
            throws IOException {
        this.config = config;
        this.source = source;
        this.ownsSource = ownsSource;
        this.options = options;
        List<WeightGroup> groups = TransformerLayout.groups(config);
        this.inputGroup = groups.get(0);
        this.blockGroups = List.copyOf(groups.subList(1, groups.size() - 1));
        this.outputGroup = groups.get(groups.size() - 1);
        checkWeights(config, source);
        this.residency = options.residency().build(source, priority(), weightGroups(), options.precision().dtype(),
                options.device());
        this.rope = new Layer3DRope(config.axesDimsRope());
    }

    /** Loads with {@link Options#cpu()}. */
    public static QwenImageTransformer load(Path dirOrFile) throws IOException {
        return load(dirOrFile, Options.cpu());
    }

    /**
     * Loads a diffusers transformer: a folder with {@code config.json} and either one
     * {@code diffusion_pytorch_model.safetensors} or shards with their {@code *.safetensors.index.json}; or the
     * weights file / index itself, with {@code config.json} beside it.
     *
     * @throws IOException when the config is missing or unsupported, or the weights do not match it (every missing
     *                     or misshapen tensor is named)
     */
    public static QwenImageTransformer load(Path dirOrFile, Options options) throws IOException {
        Path dir = Files.isDirectory(dirOrFile) ? dirOrFile : dirOrFile.toAbsolutePath().getParent();
        TransformerConfig config = TransformerConfig.read(dir.resolve("config.json"));
        WeightSource source = ComfyFp8Weights.open(dirOrFile);
        try {
            return new QwenImageTransformer(config, source, true, options);
        } catch (IOException | RuntimeException e) {
            source.close();
            throw e;
        }
    }

    /** A model over an already open weight source; {@code close()} closes the source when {@code ownsSource}. */
    public static QwenImageTransformer open(TransformerConfig config, WeightSource source, boolean ownsSource,
            Options options) throws IOException {
        return new QwenImageTransformer(config, source, ownsSource, options);
    }

    public TransformerConfig config() {
        return config;
    }

    public Options options() {
        return options;
    }

    /** The compute dtype. */
    public DType dtype() {
        return options.precision().dtype();
    }

    /** The weight residency in use. */
    public WeightResidency residency() {
        return residency;
    }

    /** The RoPE table builder of this config (for inspection and tests). */
    public Layer3DRope rope() {
        return rope;
    }

    /**
     * The weights of linear layers among {@code names} ({@code .weight} of the input and output projections, the
     * timestep MLP, modulation, attention and MLP layers), which float8 storage may quantise; not the per-head norms,
     * the text norm or the {@code addition_t_embedding} table.
     */
    static Set<String> linearWeights(List<String> names) {
        Set<String> out = new HashSet<>();
        for (String n : names) {
            boolean norm = n.contains("norm_q.") || n.contains("norm_k.") || n.contains("norm_added_")
                    || n.equals("txt_norm.weight");
            if (n.endsWith(".weight") && !norm && !n.equals(TimestepEmbedding.ADDITION)) {
                out.add(n);
            }
        }
        return out;
    }

    /** The groups in the order residency holds them: input and output layers first, then the blocks. */
    public List<WeightGroup> priority() {
        List<WeightGroup> order = new ArrayList<>();
        order.add(inputGroup);
        order.add(outputGroup);
        order.addAll(blockGroups);
        return order;
    }

    /** The weight groups in execution order: input layers, blocks 0..n-1, output layers. */
    public List<WeightGroup> weightGroups() {
        List<WeightGroup> all = new ArrayList<>();
        all.add(inputGroup);
        all.addAll(blockGroups);
        all.add(outputGroup);
        return all;
    }

    // ---- forward ------------------------------------------------------------------------------------------------

    /**
     * One forward pass, as the Layered pipeline calls it.
     *
     * @param hiddenStates        (B, S_img, in_channels) packed latents: noisy frames then the condition frame
     * @param encoderHiddenStates (B, L, joint_attention_dim) prompt embeddings
     * @param encoderMask         (B, L) 1/true for valid text tokens, or null (no mask: every token is valid)
     * @param timesteps           (B) the value the pipeline passes (sigma = t/1000), any float dtype
     * @param additionalTCond     (B) int flags indexing {@code addition_t_embedding} (0 in the pipeline); null only
     *                            when the config has no such table
     * @param imgShapes           the frame list ({@link FrameShape#layered}); its token count must be S_img
     * @return (B, S_img, patch^2 * out_channels) in the compute dtype, in the caller's current scope
     */
    public Tensor forward(Tensor hiddenStates, Tensor encoderHiddenStates, Tensor encoderMask, Tensor timesteps,
            Tensor additionalTCond, List<FrameShape> imgShapes) throws IOException {
        return forward(hiddenStates, encoderHiddenStates, encoderMask, timesteps, additionalTCond, imgShapes,
                ForwardObserver.NONE, OpProfile.OFF);
    }

    /** Convenience: per-sample timesteps and flags as arrays, the Layered layout of {@code layers} on h x w. */
    public Tensor forward(Tensor hiddenStates, Tensor encoderHiddenStates, Tensor encoderMask, float[] timesteps,
            long[] additionalTCond, int layers, int gridHeight, int gridWidth) throws IOException {
        ComputeDevice dev = options.device();
        try (TensorScope s = TensorScope.open()) {
            Tensor ts = Ops.fromFloats(timesteps, new long[] {timesteps.length}, dev);
            Tensor flags = additionalTCond == null ? null
                    : Ops.fromLongs(additionalTCond, new long[] {additionalTCond.length}, dev);
            return s.keep(forward(hiddenStates, encoderHiddenStates, encoderMask, ts, flags,
                    FrameShape.layered(layers, gridHeight, gridWidth)));
        }
    }

    /** The forward pass with an observer of intermediates and an op profile. */
    public Tensor forward(Tensor hiddenStates, Tensor encoderHiddenStates, Tensor encoderMask, Tensor timesteps,
            Tensor additionalTCond, List<FrameShape> imgShapes, ForwardObserver obs, OpProfile prof)
            throws IOException {
        if (closed) {
            throw new IllegalStateException("the transformer was closed");
        }
        long batch = checkInputs(hiddenStates, encoderHiddenStates, encoderMask, timesteps, additionalTCond,
                imgShapes);
        DType dt = dtype();
        ComputeDevice dev = options.device();
        int heads = config.numAttentionHeads();
        int textLen = (int) encoderHiddenStates.size(1);
        int imageLen = (int) hiddenStates.size(1);

        try (TensorScope fs = TensorScope.open()) {
            Tensor img;
            Tensor txt;
            Tensor siluTemb;
            try (TensorScope es = TensorScope.open()) {
                GroupWeights w = residency.acquire(inputGroup);
                img = prof.linear(onDevice(hiddenStates, dt), w.get("img_in.weight"), w.get("img_in.bias"));
                obs.on("img_in", img);
                Tensor tn = Ops.rmsNorm(onDevice(encoderHiddenStates, dt), w.get("txt_norm.weight"),
                        TransformerConfig.EPS);
                obs.on("txt_norm", tn);
                txt = prof.linear(tn, w.get("txt_in.weight"), w.get("txt_in.bias"));
                obs.on("txt_in", txt);
                Tensor temb = TimestepEmbedding.embed(w, onDevice(timesteps, timesteps.dtype()),
                        additionalTCond == null ? null : onDevice(additionalTCond, DType.I64), dt, prof, obs,
                        config.useAdditionalTCond());
                siluTemb = Ops.silu(temb);
                es.keep(img);
                es.keep(txt);
                es.keep(siluTemb);
            }

            Layer3DRope.Tables tables = ropeTables(imgShapes, textLen);
            RopeFactors factors = new RopeFactors(tables.image().tensor(dev), tables.text().tensor(dev));
            observeRope(obs, "rope_img", factors.image(), imageLen);
            observeRope(obs, "rope_txt", factors.text(), textLen);

            Tensor mask = jointMask(encoderMask, batch, imageLen);

            for (int i = 0; i < blockGroups.size(); i++) {
                Tensor[] r;
                try (TensorScope bs = TensorScope.open()) {
                    GroupWeights w = residency.acquire(blockGroups.get(i));
                    r = DoubleStreamBlock.forward(w, img, txt, siluTemb, factors, mask, heads, prof);
                    obs.on("block" + i + ".encoder_hidden_states", r[0]);
                    obs.on("block" + i + ".hidden_states", r[1]);
                    bs.keep(r[0]);
                    bs.keep(r[1]);
                }
                txt.close(); // the previous streams are not needed any more
                img.close();
                txt = r[0];
                img = r[1];
            }

            Tensor out;
            try (TensorScope os = TensorScope.open()) {
                GroupWeights w = residency.acquire(outputGroup);
                Tensor normed = OutputLayer.norm(w, img, siluTemb, prof);
                obs.on("norm_out", normed);
                out = OutputLayer.project(w, normed, prof);
                obs.on("proj_out", out);
                os.keep(out);
            }
            return fs.keep(out);
        }
    }

    private void observeRope(ForwardObserver obs, String name, Tensor factors, int tokens) {
        if (obs == ForwardObserver.NONE) {
            return; // the cos and sin halves are copies
        }
        obs.on(name + ".cos", factors.get("..., 0").reshape(tokens, rope.pairs()));
        obs.on(name + ".sin", factors.get("..., 1").reshape(tokens, rope.pairs()));
    }

    /** RoPE tables, cached for the last layout (a sampling loop asks for the same one at every step). */
    private Layer3DRope.Tables ropeTables(List<FrameShape> shapes, int textLen) {
        synchronized (ropeCacheLock) {
            if (ropeCache == null || !ropeCacheShapes.equals(shapes) || ropeCacheTextLen != textLen) {
                ropeCache = rope.tables(shapes, textLen);
                ropeCacheShapes = List.copyOf(shapes);
                ropeCacheTextLen = textLen;
            }
            return ropeCache;
        }
    }

    /** The joint key mask (B, 1, 1, L + S): the text mask followed by ones for the image tokens; null if none. */
    private Tensor jointMask(Tensor encoderMask, long batch, long imageLen) {
        if (encoderMask == null) {
            return null;
        }
        Tensor textKeep = onDevice(encoderMask, DType.BOOL); // upstream: mask.to(torch.bool), i.e. nonzero
        Tensor imageKeep = Ops.full(new long[] {batch, imageLen}, 1.0, DType.BOOL, options.device());
        return Ops.concat(List.of(textKeep, imageKeep), 1).reshape(batch, 1, 1, -1);
    }

    /** {@code x} in {@code dtype} on the compute device. */
    private Tensor onDevice(Tensor x, DType dtype) {
        Tensor t = x.device().equals(options.device()) ? x : Ops.to(x, options.device());
        return Ops.as(t, dtype);
    }

    private long checkInputs(Tensor hidden, Tensor enc, Tensor mask, Tensor ts, Tensor flags,
            List<FrameShape> shapes) {
        Objects.requireNonNull(hidden, "hiddenStates");
        Objects.requireNonNull(enc, "encoderHiddenStates");
        Objects.requireNonNull(ts, "timesteps");
        Objects.requireNonNull(shapes, "imgShapes");
        if (hidden.rank() != 3 || hidden.size(2) != config.inChannels()) {
            throw new IllegalArgumentException("hiddenStates must be (B, S, " + config.inChannels() + "), got "
                    + Arrays.toString(hidden.shape()));
        }
        long b = hidden.size(0);
        if (enc.rank() != 3 || enc.size(0) != b || enc.size(2) != config.jointAttentionDim() || enc.size(1) < 1) {
            throw new IllegalArgumentException("encoderHiddenStates must be (" + b + ", L >= 1, "
                    + config.jointAttentionDim() + "), got " + Arrays.toString(enc.shape()));
        }
        if (mask != null && (mask.rank() != 2 || mask.size(0) != b || mask.size(1) != enc.size(1))) {
            throw new IllegalArgumentException("encoderMask must be (" + b + ", " + enc.size(1) + "), got "
                    + Arrays.toString(mask.shape()));
        }
        if (ts.rank() != 1 || ts.size(0) != b || !ts.dtype().isFloating()) {
            throw new IllegalArgumentException("timesteps must be a float vector of length " + b + ", got "
                    + Arrays.toString(ts.shape()) + " " + ts.dtype());
        }
        if (flags != null && (flags.rank() != 1 || flags.size(0) != b || flags.dtype().isFloating())) {
            throw new IllegalArgumentException("additionalTCond must be an integer vector of length " + b
                    + ", got " + Arrays.toString(flags.shape()) + " " + flags.dtype());
        }
        int tokens = FrameShape.tokens(shapes);
        if (tokens != hidden.size(1)) {
            throw new IllegalArgumentException("imgShapes " + shapes + " describe " + tokens
                    + " image tokens, hiddenStates has " + hidden.size(1));
        }
        return b;
    }

    // ---- weights ------------------------------------------------------------------------------------------------

    /**
     * Checks that {@code source} holds every tensor {@code config} implies, with its shape and a floating dtype, and
     * no block beyond {@code num_layers}: the check {@code layered info} shares with loading.
     *
     * @throws IOException one line naming the weights file and the problems
     */
    public static void checkWeights(TransformerConfig config, WeightSource source) throws IOException {
        WeightCheck c = new WeightCheck(source, "transformer weights");
        TransformerLayout.parameterShapes(config).forEach(c::expect);
        int maxBlock = -1;
        for (String name : source.names()) {
            Matcher m = BLOCK.matcher(name);
            if (m.find()) {
                maxBlock = Math.max(maxBlock, Integer.parseInt(m.group(1)));
            }
        }
        if (maxBlock >= config.numLayers()) {
            c.problem("the checkpoint has blocks up to transformer_blocks." + maxBlock + " but the config says "
                    + "num_layers=" + config.numLayers());
        }
        c.throwIfAny("its config.json (num_layers=" + config.numLayers() + ", " + config.numAttentionHeads()
                + " heads x " + config.attentionHeadDim() + ", joint_attention_dim=" + config.jointAttentionDim()
                + ")");
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            residency.close();
        } finally {
            if (ownsSource) {
                source.close();
            }
        }
    }

    @Override
    public String toString() {
        return "QwenImageTransformer[" + config + ", " + dtype() + " on " + options.device() + ", "
                + residency.describe() + "]";
    }
}
