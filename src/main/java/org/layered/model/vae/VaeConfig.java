package org.layered.model.vae;

import org.layered.weights.config.ConfigException;
import org.layered.weights.config.JsonConfig;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The architecture of an {@code AutoencoderKLQwenImage} as its diffusers {@code config.json} states it.
 *
 * <p>Keys missing from the file take the upstream class defaults (as diffusers' {@code from_pretrained} does);
 * present keys are validated: positive sizes, list lengths consistent with each other, positive latent std.
 * The released Qwen-Image-Layered VAE is {@link #releasedLayered()}.
 *
 * @param baseDim            {@code base_dim}: channel width of the first stage
 * @param zDim               {@code z_dim}: latent channels (the encoder produces {@code 2*zDim} moments)
 * @param dimMult            {@code dim_mult}: channel multipliers per resolution stage
 * @param numResBlocks       {@code num_res_blocks}: residual blocks per encoder stage (decoder stages have one more)
 * @param attnScales         {@code attn_scales}: encoder scales (1, 1/2, ...) with an attention block after each
 *                           residual block; empty in the released model
 * @param temporalDownsample {@code temperal_downsample} (upstream spelling): per downsampling stage, whether it is a
 *                           "3d" resample (it then owns an unused {@code time_conv} for single frames)
 * @param inputChannels      {@code input_channels}: image channels in and out (4 = RGBA)
 * @param latentsMean        {@code latents_mean}: per-channel latent mean ({@code zDim} values)
 * @param latentsStd         {@code latents_std}: per-channel latent std ({@code zDim} values, all positive)
 */
public record VaeConfig(int baseDim, int zDim, int[] dimMult, int numResBlocks, double[] attnScales,
        boolean[] temporalDownsample, int inputChannels, double[] latentsMean, double[] latentsStd) {

    /** The diffusers class name this config must describe when it names one. */
    public static final String CLASS_NAME = "AutoencoderKLQwenImage";

    /** Upstream class defaults (the Qwen-Image VAE statistics). */
    static final double[] DEFAULT_MEAN = {-0.7571, -0.7089, -0.9113, 0.1075, -0.1745, 0.9653, -0.1517, 1.5508,
        0.4134, -0.0715, 0.5517, -0.3632, -0.1922, -0.9497, 0.2503, -0.2921};
    static final double[] DEFAULT_STD = {2.8184, 1.4541, 2.3275, 2.6558, 1.2196, 1.7708, 2.6052, 2.0743, 3.2687,
        2.1526, 2.8652, 1.5579, 1.6382, 1.1253, 2.8251, 1.9160};

    /** Validates and defensively copies; the message names the offending key. */
    public VaeConfig {
        dimMult = dimMult.clone();
        attnScales = attnScales.clone();
        temporalDownsample = temporalDownsample.clone();
        latentsMean = latentsMean.clone();
        latentsStd = latentsStd.clone();
        List<String> errors = problems(baseDim, zDim, dimMult, numResBlocks, temporalDownsample, inputChannels,
                latentsMean, latentsStd);
        if (!errors.isEmpty()) {
            throw new IllegalArgumentException("invalid VAE config: " + String.join("; ", errors));
        }
    }

    private static List<String> problems(int baseDim, int zDim, int[] dimMult, int numResBlocks,
            boolean[] temporalDownsample, int inputChannels, double[] latentsMean, double[] latentsStd) {
        List<String> e = new ArrayList<>();
        if (baseDim <= 0) {
            e.add("'base_dim' must be positive, found " + baseDim);
        }
        if (zDim <= 0) {
            e.add("'z_dim' must be positive, found " + zDim);
        }
        if (dimMult.length < 1) {
            e.add("'dim_mult' must have at least one entry");
        }
        for (int m : dimMult) {
            if (m <= 0) {
                e.add("'dim_mult' entries must be positive, found " + Arrays.toString(dimMult));
                break;
            }
        }
        if (dimMult.length >= 2) {
            // each upsampler halves the channels: widths must be even where an upsampler sits
            for (int i = 1; i < dimMult.length; i++) {
                long w = (long) baseDim * dimMult[dimMult.length - i];
                if (w % 2 != 0 && baseDim > 0) {
                    e.add("'base_dim' * 'dim_mult' must be even for every upsampled stage, found " + w);
                    break;
                }
            }
        }
        if (numResBlocks < 1) {
            e.add("'num_res_blocks' must be at least 1, found " + numResBlocks);
        }
        if (dimMult.length >= 1 && temporalDownsample.length != dimMult.length - 1) {
            e.add("'temperal_downsample' must have len(dim_mult)-1 = " + (dimMult.length - 1) + " entries, found "
                    + temporalDownsample.length);
        }
        if (inputChannels <= 0) {
            e.add("'input_channels' must be positive, found " + inputChannels);
        }
        if (latentsMean.length != zDim) {
            e.add("'latents_mean' must have z_dim = " + zDim + " entries, found " + latentsMean.length);
        }
        if (latentsStd.length != zDim) {
            e.add("'latents_std' must have z_dim = " + zDim + " entries, found " + latentsStd.length);
        }
        for (double s : latentsStd) {
            if (!(s > 0) || Double.isInfinite(s)) {
                e.add("'latents_std' entries must be positive and finite, found " + s);
                break;
            }
        }
        for (double m : latentsMean) {
            if (!Double.isFinite(m)) {
                e.add("'latents_mean' entries must be finite, found " + m);
                break;
            }
        }
        return e;
    }

    /** Reads {@code dir/config.json} (or the file itself when a file is given). */
    public static VaeConfig read(Path dirOrFile) throws ConfigException {
        Path file = dirOrFile.getFileName() != null && dirOrFile.getFileName().toString().endsWith(".json")
                ? dirOrFile : dirOrFile.resolve("config.json");
        return from(JsonConfig.read(file));
    }

    /**
     * Parses a diffusers VAE config. Missing keys take the upstream class defaults.
     *
     * @throws ConfigException naming the file and key for wrong types, inconsistent sizes or another class
     */
    public static VaeConfig from(JsonConfig c) throws ConfigException {
        String cls = c.string("_class_name", CLASS_NAME);
        if (!CLASS_NAME.equals(cls)) {
            throw new ConfigException(c.file() + ": '_class_name' is '" + cls + "', expected '" + CLASS_NAME
                    + "' (is this the VAE folder of the pipeline?)");
        }
        int baseDim = c.integer("base_dim", 96);
        int zDim = c.integer("z_dim", 16);
        int[] dimMult = c.has("dim_mult") ? c.integers("dim_mult") : new int[] {1, 2, 4, 4};
        int numRes = c.integer("num_res_blocks", 2);
        double[] attn = c.has("attn_scales") ? c.numbers("attn_scales") : new double[0];
        boolean[] temporal = c.has("temperal_downsample") ? c.booleans("temperal_downsample")
                : new boolean[] {false, true, true};
        int inputChannels = c.integer("input_channels", 3);
        double[] mean = c.has("latents_mean") ? c.numbers("latents_mean") : DEFAULT_MEAN;
        double[] std = c.has("latents_std") ? c.numbers("latents_std") : DEFAULT_STD;
        double dropout = c.number("dropout", 0.0);
        if (dropout < 0 || dropout >= 1) {
            throw new ConfigException(c.file() + ": key 'dropout' must be in [0, 1), found " + dropout);
        }
        List<String> errors = problems(baseDim, zDim, dimMult, numRes, temporal, inputChannels, mean, std);
        if (!errors.isEmpty()) {
            throw new ConfigException(c.file() + ": invalid VAE config: " + String.join("; ", errors));
        }
        return new VaeConfig(baseDim, zDim, dimMult, numRes, attn, temporal, inputChannels, mean, std);
    }

    /** The released Qwen-Image-Layered RGBA VAE: the class defaults with {@code input_channels = 4}. */
    public static VaeConfig releasedLayered() {
        return new VaeConfig(96, 16, new int[] {1, 2, 4, 4}, 2, new double[0], new boolean[] {false, true, true},
                4, DEFAULT_MEAN, DEFAULT_STD);
    }

    /** Spatial down-sampling factor between image and latent (8 for the released model). */
    public int spatialCompression() {
        return 1 << (dimMult.length - 1);
    }

    /** Encoder stage widths {@code [base, base*m0, base*m1, ...]} as upstream's {@code dims}. */
    int[] encoderDims() {
        int[] d = new int[dimMult.length + 1];
        d[0] = baseDim;
        for (int i = 0; i < dimMult.length; i++) {
            d[i + 1] = baseDim * dimMult[i];
        }
        return d;
    }

    /** Decoder stage widths {@code [base*m_last, base*m_last, ..., base*m0]} as upstream's {@code dims}. */
    int[] decoderDims() {
        int[] d = new int[dimMult.length + 1];
        d[0] = baseDim * dimMult[dimMult.length - 1];
        for (int i = 0; i < dimMult.length; i++) {
            d[i + 1] = baseDim * dimMult[dimMult.length - 1 - i];
        }
        return d;
    }

    /** The config as diffusers writes it (for tests and the benchmark's synthetic checkpoints). */
    public String toJson() {
        StringBuilder b = new StringBuilder();
        b.append("{\n  \"_class_name\": \"").append(CLASS_NAME).append("\",\n");
        b.append("  \"attn_scales\": ").append(list(attnScales)).append(",\n");
        b.append("  \"base_dim\": ").append(baseDim).append(",\n");
        b.append("  \"dim_mult\": ").append(Arrays.toString(dimMult)).append(",\n");
        b.append("  \"dropout\": 0.0,\n");
        b.append("  \"input_channels\": ").append(inputChannels).append(",\n");
        b.append("  \"latents_mean\": ").append(list(latentsMean)).append(",\n");
        b.append("  \"latents_std\": ").append(list(latentsStd)).append(",\n");
        b.append("  \"num_res_blocks\": ").append(numResBlocks).append(",\n");
        b.append("  \"temperal_downsample\": ").append(Arrays.toString(temporalDownsample)).append(",\n");
        b.append("  \"z_dim\": ").append(zDim).append("\n}\n");
        return b.toString();
    }

    private static String list(double[] v) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < v.length; i++) {
            b.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%s", v[i]));
        }
        return b.append(']').toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VaeConfig c && baseDim == c.baseDim && zDim == c.zDim
                && Arrays.equals(dimMult, c.dimMult) && numResBlocks == c.numResBlocks
                && Arrays.equals(attnScales, c.attnScales) && Arrays.equals(temporalDownsample, c.temporalDownsample)
                && inputChannels == c.inputChannels && Arrays.equals(latentsMean, c.latentsMean)
                && Arrays.equals(latentsStd, c.latentsStd);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(new Object[] {baseDim, zDim, Arrays.hashCode(dimMult), numResBlocks,
            Arrays.hashCode(temporalDownsample), inputChannels});
    }

    @Override
    public String toString() {
        return "VaeConfig[base_dim=" + baseDim + ", z_dim=" + zDim + ", dim_mult=" + Arrays.toString(dimMult)
                + ", num_res_blocks=" + numResBlocks + ", attn_scales=" + Arrays.toString(attnScales)
                + ", temperal_downsample=" + Arrays.toString(temporalDownsample) + ", input_channels="
                + inputChannels + "]";
    }

    // arrays are exposed as copies so the record stays immutable
    @Override
    public int[] dimMult() {
        return dimMult.clone();
    }

    @Override
    public double[] attnScales() {
        return attnScales.clone();
    }

    @Override
    public boolean[] temporalDownsample() {
        return temporalDownsample.clone();
    }

    @Override
    public double[] latentsMean() {
        return latentsMean.clone();
    }

    @Override
    public double[] latentsStd() {
        return latentsStd.clone();
    }
}
