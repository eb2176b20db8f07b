package org.layered.model.vae;

import org.layered.engine.ComputeDevice;
import org.layered.engine.DType;
import org.layered.engine.Ops;
import org.layered.engine.Precision;
import org.layered.engine.Tensor;
import org.layered.engine.TensorScope;
import org.layered.weights.SafetensorsWeights;
import org.layered.weights.WeightSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The Qwen-Image-Layered RGBA VAE ({@code AutoencoderKLQwenImage}) for single images, in the layout the pipeline
 * uses: images (B, C_in, 1, H, W) in [-1, 1], latents (B, z_dim, 1, H/8, W/8).
 *
 * <p>Weights are loaded once, in the precision's dtype on the device, into a detached {@link TensorScope} this
 * object owns and closes in {@link #close()} (from any thread). Results go to the caller's current scope:
 * <pre>{@code
 * try (RgbaVae vae = RgbaVae.load(dir, ComputeDevice.CPU, Precision.FLOAT32)) {
 *     try (TensorScope s = TensorScope.open()) {
 *         Tensor z = vae.normalize(vae.encodeMode(image));      // pipeline's _encode_vae_image
 *         Tensor rgba = vae.decode(vae.denormalize(layers));    // (N, 4, 1, H, W), clamped to [-1, 1]
 *     }
 * }}</pre>
 *
 * <p>Every method returns a new tensor in the caller's current scope and never closes its arguments. Frames of a
 * batch are processed {@link #framesPerCall()} at a time (default 1), which bounds memory to one frame.
 */
public final class RgbaVae implements AutoCloseable {
    /**
     * Default {@link #stripBudgetBytes()}: 64 MiB, which bounds the large temporaries of a 1024-pixel frame (row
     * strips are exact, see the package notes).
     */
    public static final long DEFAULT_STRIP_BYTES = 64L << 20;

    private final VaeConfig config;
    private final ComputeDevice device;
    private final Precision precision;
    private final TensorScope weightScope;
    private final VaeEncoder encoder;
    private final VaeDecoder decoder;
    private int framesPerCall = 1;
    private final RowStrips.Budget stripBudget = new RowStrips.Budget(DEFAULT_STRIP_BYTES);

    private boolean closed;

    private RgbaVae(VaeConfig config, WeightSource weights, ComputeDevice device, Precision precision)
            throws IOException {
        VaeLayout.check(config, weights); // every problem at once, before anything is loaded
        this.config = config;
        this.device = device;
        this.precision = precision;
        this.weightScope = TensorScope.detached();
        try (TensorScope.Activation loading = weightScope.activate()) {
            VaeWeights w = new VaeWeights(weights, config, precision.dtype(), device);
            this.encoder = new VaeEncoder(w, config, stripBudget);
            this.decoder = new VaeDecoder(w, config, stripBudget);
            w.checkAllUsed();
        } catch (IOException | RuntimeException | Error e) {
            weightScope.close();
            throw e;
        }
    }

    /**
     * Loads a diffusers VAE folder ({@code config.json} + {@code diffusion_pytorch_model.safetensors}, or a sharded
     * index). The files are closed again once the weights are in memory.
     */
    public static RgbaVae load(Path dir, ComputeDevice device, Precision precision) throws IOException {
        VaeConfig config = VaeConfig.read(dir);
        try (SafetensorsWeights weights = SafetensorsWeights.open(dir)) {
            return new RgbaVae(config, weights, device, precision);
        }
    }

    /** Builds the VAE from a config and weights with diffusers names; the source stays open (the caller owns it). */
    public static RgbaVae load(VaeConfig config, WeightSource weights, ComputeDevice device, Precision precision)
            throws IOException {
        return new RgbaVae(config, weights, device, precision);
    }

    public VaeConfig config() {
        return config;
    }

    public ComputeDevice device() {
        return device;
    }

    public Precision precision() {
        return precision;
    }

    /** Image-to-latent down-sampling factor (8). */
    public int spatialCompression() {
        return config.spatialCompression();
    }

    /** Frames of a batch encoded or decoded together (memory grows linearly with it). */
    public int framesPerCall() {
        return framesPerCall;
    }

    public RgbaVae framesPerCall(int frames) {
        if (frames < 1) {
            throw new IllegalArgumentException("framesPerCall must be at least 1, got " + frames);
        }
        this.framesPerCall = frames;
        return this;
    }

    /**
     * The largest full-resolution temporary allowed before a convolution stage is evaluated in row strips (exact:
     * each strip carries a one-row halo, see the package notes). Smaller saves memory at high resolutions;
     * {@code Long.MAX_VALUE} turns strips off (whole frames, the fastest); default {@link #DEFAULT_STRIP_BYTES}. A
     * pipeline that follows a memory plan sets it per stage as the plan says.
     */
    public long stripBudgetBytes() {
        return stripBudget.bytes();
    }

    public RgbaVae stripBudgetBytes(long bytes) {
        stripBudget.set(bytes);
        return this;
    }

    // ---- encode ------------------------------------------------------------------------------------------------

    /** Encoder + {@code quant_conv} output {@code [mean | logvar]} (B, 2*z_dim, 1, h, w), upstream {@code _encode}. */
    public Tensor encodeMoments(Tensor image) {
        return encodeMoments(image, StageTap.NONE);
    }

    /** {@link #encodeMoments(Tensor)} reporting every stage to {@code tap}. */
    public Tensor encodeMoments(Tensor image, StageTap tap) {
        checkOpen();
        long[] s = checkFrames(image, config.inputChannels(), "image");
        try (TensorScope scope = TensorScope.open()) {
            Tensor x = toCompute(image);
            List<Tensor> parts = new ArrayList<>();
            for (long b = 0; b < s[0]; b += framesPerCall) {
                long e = Math.min(s[0], b + framesPerCall);
                try (TensorScope chunk = TensorScope.open()) {
                    Tensor frames = x.slice(0, b, e).reshape(e - b, s[1], s[3], s[4]);
                    parts.add(chunk.keep(encoder.forward(frames, tap)));
                }
            }
            return scope.keep((parts.size() == 1 ? parts.get(0) : Ops.concat(parts, 0)).unsqueeze(2));
        }
    }

    /** The posterior {@code vae.encode(image).latent_dist}: mean and clamped log-variance. */
    public Posterior encode(Tensor image) {
        try (TensorScope scope = TensorScope.open()) {
            Tensor moments = encodeMoments(image);
            long z = config.zDim();
            Tensor mean = moments.slice(1, 0, z).copy();
            Tensor logvar = moments.slice(1, z, 2 * z).clamp(-30.0, 20.0);
            return new Posterior(scope.keep(mean), scope.keep(logvar));
        }
    }

    /** The posterior mode (= mean) (B, z_dim, 1, h, w): {@code retrieve_latents(..., sample_mode="argmax")}. */
    public Tensor encodeMode(Tensor image) {
        try (TensorScope scope = TensorScope.open()) {
            Tensor moments = encodeMoments(image);
            return scope.keep(moments.slice(1, 0, config.zDim()).copy());
        }
    }

    /** The pipeline's {@code _encode_vae_image}: {@code normalize(encodeMode(image))}. */
    public Tensor encodeNormalized(Tensor image) {
        try (TensorScope scope = TensorScope.open()) {
            return scope.keep(normalize(encodeMode(image)));
        }
    }

    // ---- latent normalisation ------------------------------------------------------------------------------------

    /** {@code (z - latents_mean) / latents_std} per channel, in z's dtype (as the pipeline's encode branch). */
    public Tensor normalize(Tensor z) {
        checkLatents(z);
        try (TensorScope scope = TensorScope.open()) {
            Tensor mean = channelConstant(config.latentsMean(), z);
            Tensor std = channelConstant(config.latentsStd(), z);
            return scope.keep(z.sub(mean).div(std));
        }
    }

    /**
     * {@code z / (1 / latents_std) + latents_mean} per channel in z's dtype: the pipeline's decode branch, including
     * its division by the reciprocal (rounded in z's dtype) rather than a multiplication by the std.
     */
    public Tensor denormalize(Tensor z) {
        checkLatents(z);
        try (TensorScope scope = TensorScope.open()) {
            Tensor mean = channelConstant(config.latentsMean(), z);
            Tensor std = channelConstant(config.latentsStd(), z);
            Tensor reciprocal = Ops.full(std.shape(), 1.0, std.dtype(), std.device()).div(std);
            return scope.keep(z.div(reciprocal).add(mean));
        }
    }

    /** A float32 per-channel constant (1, z_dim, 1, 1, 1) as {@code torch.tensor(list)}, then in z's dtype/device. */
    private Tensor channelConstant(double[] values, Tensor like) {
        float[] f = new float[values.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) values[i];
        }
        Tensor t = Ops.fromFloats(f, new long[] {1, f.length, 1, 1, 1}, like.device());
        return like.dtype() == DType.F32 ? t : Ops.cast(t, like.dtype());
    }

    // ---- decode --------------------------------------------------------------------------------------------------

    /**
     * {@code vae.decode(z).sample}: raw (de-normalised) latents (B, z_dim, 1, h, w) to images (B, C_in, 1, 8h, 8w)
     * clamped to [-1, 1], in the compute dtype on the VAE's device. Each of the B frames is an independent image
     * (the pipeline puts its layers on the batch axis).
     */
    public Tensor decode(Tensor z) {
        return decode(z, StageTap.NONE);
    }

    /** {@link #decode(Tensor)} reporting every stage to {@code tap} (untiled stages only). */
    public Tensor decode(Tensor z, StageTap tap) {
        checkOpen();
        long[] s = checkFrames(z, config.zDim(), "latents");
        try (TensorScope scope = TensorScope.open()) {
            Tensor x = toCompute(z);
            List<Tensor> parts = new ArrayList<>();
            for (long b = 0; b < s[0]; b += framesPerCall) {
                long e = Math.min(s[0], b + framesPerCall);
                try (TensorScope chunk = TensorScope.open()) {
                    Tensor frames = x.slice(0, b, e).reshape(e - b, s[1], s[3], s[4]);
                    Tensor raw = decoder.forward(frames, tap);
                    parts.add(chunk.keep(raw.clamp(-1.0, 1.0)));
                }
            }
            return scope.keep((parts.size() == 1 ? parts.get(0) : Ops.concat(parts, 0)).unsqueeze(2));
        }
    }

    /** The pipeline's decode branch: {@code decode(denormalize(z))}. */
    public Tensor decodeNormalized(Tensor z) {
        try (TensorScope scope = TensorScope.open()) {
            return scope.keep(decode(denormalize(z)));
        }
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    private Tensor toCompute(Tensor x) {
        Tensor t = x.device().equals(device) ? x : Ops.to(x, device);
        return Ops.as(t, precision.dtype());
    }

    private static long[] checkFrames(Tensor x, int channels, String what) {
        long[] s = x.shape();
        if (s.length != 5) {
            throw new IllegalArgumentException(what + " must be (B, C, 1, H, W) as the pipeline passes them, got "
                    + Arrays.toString(s));
        }
        if (s[1] != channels) {
            throw new IllegalArgumentException(what + " must have " + channels + " channels, got "
                    + Arrays.toString(s));
        }
        if (s[2] != 1) {
            throw new IllegalArgumentException(what + " must have one frame (T = 1): this VAE port handles single "
                    + "images; put several images or layers on the batch axis instead. Got " + Arrays.toString(s));
        }
        if (s[0] < 1 || s[3] < 1 || s[4] < 1) {
            throw new IllegalArgumentException(what + " is empty: " + Arrays.toString(s));
        }
        if (!x.dtype().isFloating()) {
            throw new IllegalArgumentException(what + " must be a floating tensor, got " + x.dtype());
        }
        return s;
    }

    private void checkLatents(Tensor z) {
        long[] s = z.shape();
        if (s.length != 5 || s[1] != config.zDim()) {
            throw new IllegalArgumentException("latents must be (B, " + config.zDim() + ", T, h, w), got "
                    + Arrays.toString(s));
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the VAE was closed");
        }
    }

    /** Frees the weights. Must run on the thread that loaded the VAE, after scopes opened later were closed. */
    @Override
    public void close() {
        if (!closed) {
            weightScope.close();
            closed = true;
        }
    }
}
