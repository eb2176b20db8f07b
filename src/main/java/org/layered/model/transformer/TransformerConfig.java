package org.layered.model.transformer;

import org.layered.weights.config.ConfigException;
import org.layered.weights.config.JsonConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The config of a diffusers {@code QwenImageTransformer2DModel} (its {@code config.json}), restricted to what the
 * Qwen-Image-Layered port supports: Layer3D RoPE, no guidance embedding, no {@code zero_cond_t}.
 *
 * @param patchSize          latent patch size (2): {@code proj_out} emits {@code patchSize^2 * outChannels} features
 * @param inChannels         packed input features per token (64)
 * @param outChannels        latent channels of the output (16)
 * @param numLayers          number of double-stream blocks (60 released, 2 tiny)
 * @param attentionHeadDim   head dimension (128)
 * @param numAttentionHeads  heads (24); inner dim = heads * head dim
 * @param jointAttentionDim  text feature size (3584, the Qwen2.5-VL hidden size)
 * @param axesDimsRope       RoPE dims per axis (frame, row, col), even, summing to the head dimension
 * @param useAdditionalTCond whether {@code time_text_embed.addition_t_embedding} (2 rows) is added to the timestep
 *                           embedding
 */
public record TransformerConfig(int patchSize, int inChannels, int outChannels, int numLayers, int attentionHeadDim,
        int numAttentionHeads, int jointAttentionDim, int[] axesDimsRope, boolean useAdditionalTCond) {

    /** LayerNorm / RMSNorm epsilon, hard-coded upstream. */
    public static final double EPS = 1e-6;
    /** RoPE theta, hard-coded upstream. */
    public static final double ROPE_THETA = 10000.0;
    /** Width of the sinusoidal timestep projection. */
    public static final int TIME_PROJ_DIM = 256;

    public TransformerConfig {
        axesDimsRope = axesDimsRope == null ? null : axesDimsRope.clone();
        require(patchSize >= 1, "patch_size must be >= 1, got " + patchSize);
        require(inChannels >= 1, "in_channels must be >= 1, got " + inChannels);
        require(outChannels >= 1, "out_channels must be >= 1, got " + outChannels);
        require(numLayers >= 0, "num_layers must be >= 0, got " + numLayers);
        require(attentionHeadDim >= 2 && attentionHeadDim % 2 == 0,
                "attention_head_dim must be even and >= 2, got " + attentionHeadDim);
        require(numAttentionHeads >= 1, "num_attention_heads must be >= 1, got " + numAttentionHeads);
        require(jointAttentionDim >= 1, "joint_attention_dim must be >= 1, got " + jointAttentionDim);
        require(axesDimsRope != null && axesDimsRope.length == 3,
                "axes_dims_rope must have 3 entries (frame, height, width), got " + Arrays.toString(axesDimsRope));
        int sum = 0;
        for (int a : axesDimsRope) {
            require(a >= 0 && a % 2 == 0, "axes_dims_rope entries must be even and >= 0, got "
                    + Arrays.toString(axesDimsRope));
            sum += a;
        }
        require(sum == attentionHeadDim, "axes_dims_rope " + Arrays.toString(axesDimsRope) + " sums to " + sum
                + ", but attention_head_dim is " + attentionHeadDim);
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException("transformer config: " + message);
        }
    }

    /** The released Qwen-Image-Layered transformer: 60 blocks, 24 x 128 heads, text 3584, axes [16, 56, 56]. */
    public static TransformerConfig released() {
        return new TransformerConfig(2, 64, 16, 60, 128, 24, 3584, new int[] {16, 56, 56}, true);
    }

    /** The released config with another number of blocks (benchmarks, tests). */
    public TransformerConfig withNumLayers(int layers) {
        return new TransformerConfig(patchSize, inChannels, outChannels, layers, attentionHeadDim, numAttentionHeads,
                jointAttentionDim, axesDimsRope, useAdditionalTCond);
    }

    /** Inner (model) width: heads * head dim. */
    public int innerDim() {
        return numAttentionHeads * attentionHeadDim;
    }

    /** Output features per token: patch^2 * out channels. */
    public int outFeatures() {
        return patchSize * patchSize * outChannels;
    }

    @Override
    public int[] axesDimsRope() {
        return axesDimsRope.clone();
    }

    /** Reads {@code config.json} from a component folder or the file itself. */
    public static TransformerConfig read(Path dirOrFile) throws ConfigException {
        Path file = Files.isDirectory(dirOrFile) ? dirOrFile.resolve("config.json") : dirOrFile;
        return from(JsonConfig.read(file));
    }

    /**
     * Builds the config from a parsed {@code config.json}, with upstream defaults for absent keys.
     *
     * @throws ConfigException naming the file and key for wrong types, unsupported flags or inconsistent values
     */
    public static TransformerConfig from(JsonConfig c) throws ConfigException {
        String cls = c.string("_class_name", "QwenImageTransformer2DModel");
        if (!cls.equals("QwenImageTransformer2DModel")) {
            throw new ConfigException(c.file() + ": _class_name is '" + cls
                    + "', expected QwenImageTransformer2DModel");
        }
        if (c.bool("guidance_embeds", false)) {
            throw new ConfigException(c.file() + ": guidance_embeds=true is not supported (Qwen-Image-Layered has "
                    + "no guidance embedding)");
        }
        if (c.bool("zero_cond_t", false)) {
            throw new ConfigException(c.file() + ": zero_cond_t=true is not supported (Qwen-Image-Layered uses "
                    + "false)");
        }
        if (!c.bool("use_layer3d_rope", false)) {
            throw new ConfigException(c.file() + ": use_layer3d_rope must be true: only the Layered transformer "
                    + "(Layer3D RoPE) is supported");
        }
        int in = c.integer("in_channels", 64);
        // upstream: out_channels defaults to 16; an explicit null means in_channels ("out_channels or in_channels")
        boolean explicitNull = !c.has("out_channels") && c.json().has("out_channels");
        int out = explicitNull ? in : c.integer("out_channels", 16);
        int[] axes = c.has("axes_dims_rope") ? c.integers("axes_dims_rope") : new int[] {16, 56, 56};
        try {
            return new TransformerConfig(c.integer("patch_size", 2), in, out, c.integer("num_layers", 60),
                    c.integer("attention_head_dim", 128), c.integer("num_attention_heads", 24),
                    c.integer("joint_attention_dim", 3584), axes, c.bool("use_additional_t_cond", false));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(c.file() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TransformerConfig t && t.patchSize == patchSize && t.inChannels == inChannels
                && t.outChannels == outChannels && t.numLayers == numLayers && t.attentionHeadDim == attentionHeadDim
                && t.numAttentionHeads == numAttentionHeads && t.jointAttentionDim == jointAttentionDim
                && Arrays.equals(t.axesDimsRope, axesDimsRope) && t.useAdditionalTCond == useAdditionalTCond;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(new int[] {patchSize, inChannels, outChannels, numLayers, attentionHeadDim,
                numAttentionHeads, jointAttentionDim, Arrays.hashCode(axesDimsRope), useAdditionalTCond ? 1 : 0});
    }

    @Override
    public String toString() {
        return "TransformerConfig[layers=" + numLayers + ", heads=" + numAttentionHeads + "x" + attentionHeadDim
                + ", inner=" + innerDim() + ", text=" + jointAttentionDim + ", axes=" + Arrays.toString(axesDimsRope)
                + ", in=" + inChannels + ", out=" + outFeatures() + ", additional_t_cond=" + useAdditionalTCond + "]";
    }
}
