package org.layered.model.text.vision;

import org.layered.weights.config.ConfigException;
import org.layered.weights.config.JsonConfig;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The {@code vision_config} of a Qwen2.5-VL {@code config.json} ({@code Qwen2_5_VLVisionConfig}).
 *
 * @param depth               {@code depth}: vision blocks (32)
 * @param hiddenSize          {@code hidden_size} (1280)
 * @param numHeads            {@code num_heads} (16; head dim 80)
 * @param intermediateSize    {@code intermediate_size} of the SwiGLU MLP (3420)
 * @param patchSize           {@code patch_size} (14)
 * @param temporalPatchSize   {@code temporal_patch_size} (2)
 * @param spatialMergeSize    {@code spatial_merge_size} (2)
 * @param inChannels          {@code in_channels} / {@code in_chans} (3)
 * @param windowSize          {@code window_size} in pixels (112)
 * @param fullattBlockIndexes {@code fullatt_block_indexes}: blocks attending over the whole image (7, 15, 23, 31)
 * @param outHiddenSize       {@code out_hidden_size}: the language model's width (3584)
 * @param tokensPerSecond     {@code tokens_per_second} (2; M-RoPE time scale for videos)
 */
public record VisionConfig(int depth, int hiddenSize, int numHeads, int intermediateSize, int patchSize,
        int temporalPatchSize, int spatialMergeSize, int inChannels, int windowSize, int[] fullattBlockIndexes,
        int outHiddenSize, int tokensPerSecond) {

    public VisionConfig {
        fullattBlockIndexes = fullattBlockIndexes.clone();
        List<String> e = new ArrayList<>();
        int[] positive = {depth, hiddenSize, numHeads, intermediateSize, patchSize, temporalPatchSize,
            spatialMergeSize, inChannels, windowSize, outHiddenSize};
        for (int v : positive) {
            if (v <= 0) {
                e.add("sizes must be positive: " + Arrays.toString(positive));
                break;
            }
        }
        if (numHeads > 0 && hiddenSize % numHeads != 0) {
            e.add("hidden_size " + hiddenSize + " is not a multiple of num_heads " + numHeads);
        } else if (numHeads > 0 && (hiddenSize / numHeads) % 4 != 0) {
            e.add("head dim " + hiddenSize / numHeads + " must be a multiple of 4 (2-D rotary embedding)");
        }
        if (windowSize > 0 && patchSize > 0 && spatialMergeSize > 0
                && windowSize % (patchSize * spatialMergeSize) != 0) {
            e.add("window_size " + windowSize + " is not a multiple of patch_size * spatial_merge_size");
        }
        if (!e.isEmpty()) {
            throw new IllegalArgumentException("invalid Qwen2.5-VL vision config: " + String.join("; ", e));
        }
    }

    /** Qwen2.5-VL-7B-Instruct's vision tower. */
    public static VisionConfig qwen25Vl7b() {
        return new VisionConfig(32, 1280, 16, 3420, 14, 2, 2, 3, 112, new int[] {7, 15, 23, 31}, 3584, 2);
    }

    /** Reads the {@code vision_config} of a {@code config.json}. */
    public static VisionConfig read(Path configJson) throws ConfigException {
        return from(JsonConfig.read(configJson));
    }

    /** The {@code vision_config} object of a parsed root config. */
    public static VisionConfig from(JsonConfig root) throws ConfigException {
        if (!root.has("vision_config")) {
            throw new ConfigException(root.file() + ": no 'vision_config' (not a Qwen2.5-VL config; the image "
                    + "captioner needs the vision tower)");
        }
        JsonConfig v = root.object("vision_config");
        String act = v.string("hidden_act", "silu");
        if (!act.equals("silu")) {
            throw new ConfigException(root.file() + ": vision hidden_act '" + act + "' is not supported (silu only)");
        }
        int in = v.has("in_channels") ? v.integer("in_channels") : v.integer("in_chans", 3);
        int patch = v.has("patch_size") ? v.integer("patch_size") : v.integer("spatial_patch_size", 14);
        try {
            return new VisionConfig(v.integer("depth", 32), v.integer("hidden_size", 3584),
                    v.integer("num_heads", 16), v.integer("intermediate_size", 3420), patch,
                    v.integer("temporal_patch_size", 2), v.integer("spatial_merge_size", 2), in,
                    v.integer("window_size", 112),
                    v.has("fullatt_block_indexes") ? v.integers("fullatt_block_indexes") : new int[] {7, 15, 23, 31},
                    v.integer("out_hidden_size", 3584), v.integer("tokens_per_second", 4));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(root.file() + ": " + e.getMessage(), e);
        }
    }

    public int headDim() {
        return hiddenSize / numHeads;
    }

    /** Values per patch: {@code in_channels * temporal_patch_size * patch_size^2} (1176). */
    public int patchDim() {
        return inChannels * temporalPatchSize * patchSize * patchSize;
    }

    /** Patches per merged token ({@code spatial_merge_size^2}). */
    public int mergeUnit() {
        return spatialMergeSize * spatialMergeSize;
    }

    /** Whether block {@code i} attends over whole images (else within windows). */
    public boolean isFullAttention(int block) {
        for (int b : fullattBlockIndexes) {
            if (b == block) {
                return true;
            }
        }
        return false;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VisionConfig c && c.depth == depth && c.hiddenSize == hiddenSize
                && c.numHeads == numHeads && c.intermediateSize == intermediateSize && c.patchSize == patchSize
                && c.temporalPatchSize == temporalPatchSize && c.spatialMergeSize == spatialMergeSize
                && c.inChannels == inChannels && c.windowSize == windowSize
                && Arrays.equals(c.fullattBlockIndexes, fullattBlockIndexes) && c.outHiddenSize == outHiddenSize
                && c.tokensPerSecond == tokensPerSecond;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(new int[] {depth, hiddenSize, numHeads, intermediateSize, patchSize,
            temporalPatchSize, spatialMergeSize, inChannels, windowSize, outHiddenSize, tokensPerSecond})
                * 31 + Arrays.hashCode(fullattBlockIndexes);
    }

    @Override
    public String toString() {
        return "VisionConfig[depth=" + depth + ", hidden=" + hiddenSize + ", heads=" + numHeads + ", ffn="
                + intermediateSize + ", patch=" + patchSize + "x" + temporalPatchSize + ", merge=" + spatialMergeSize
                + ", window=" + windowSize + ", full=" + Arrays.toString(fullattBlockIndexes) + ", out="
                + outHiddenSize + "]";
    }
}
