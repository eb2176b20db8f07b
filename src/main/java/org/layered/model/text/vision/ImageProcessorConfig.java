package org.layered.model.text.vision;

import org.layered.weights.config.ConfigException;
import org.layered.weights.config.JsonConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A {@code preprocessor_config.json} of {@code Qwen2VLImageProcessor}, with transformers' defaults for absent keys.
 *
 * <p>{@code min_pixels} / {@code max_pixels} override {@code size.shortest_edge} / {@code size.longest_edge}, as
 * the processor's constructor does (defaults 56*56 and 28*28*1280). Only bicubic resampling ({@code resample} 3)
 * is supported, the value every Qwen2-VL / Qwen2.5-VL checkpoint uses.
 *
 * @param minPixels         {@code min_pixels} ({@code size.shortest_edge})
 * @param maxPixels         {@code max_pixels} ({@code size.longest_edge})
 * @param patchSize         {@code patch_size} (14)
 * @param temporalPatchSize {@code temporal_patch_size} (2)
 * @param mergeSize         {@code merge_size} (2)
 * @param imageMean         {@code image_mean} per RGB channel
 * @param imageStd          {@code image_std} per RGB channel
 * @param doResize          {@code do_resize}
 * @param doRescale         {@code do_rescale}
 * @param rescaleFactor     {@code rescale_factor} (1/255)
 * @param doNormalize       {@code do_normalize}
 */
public record ImageProcessorConfig(long minPixels, long maxPixels, int patchSize, int temporalPatchSize,
        int mergeSize, double[] imageMean, double[] imageStd, boolean doResize, boolean doRescale,
        double rescaleFactor, boolean doNormalize) {

    /** OPENAI CLIP mean, transformers' {@code OPENAI_CLIP_MEAN}. */
    public static final double[] CLIP_MEAN = {0.48145466, 0.4578275, 0.40821073};
    /** OPENAI CLIP std, transformers' {@code OPENAI_CLIP_STD}. */
    public static final double[] CLIP_STD = {0.26862954, 0.26130258, 0.27577711};

    public ImageProcessorConfig {
        imageMean = imageMean.clone();
        imageStd = imageStd.clone();
        List<String> e = new ArrayList<>();
        if (minPixels < 0 || maxPixels <= 0 || minPixels > maxPixels) {
            e.add("min_pixels/max_pixels must satisfy 0 <= min <= max, max > 0, found " + minPixels + "/" + maxPixels);
        }
        if (patchSize <= 0 || temporalPatchSize <= 0 || mergeSize <= 0) {
            e.add("patch_size, temporal_patch_size and merge_size must be positive, found " + patchSize + ", "
                    + temporalPatchSize + ", " + mergeSize);
        }
        if (imageMean.length != 3 || imageStd.length != 3) {
            e.add("image_mean and image_std need 3 values (RGB)");
        } else if (Arrays.stream(imageStd).anyMatch(s -> !(s > 0))) {
            e.add("image_std values must be positive");
        }
        if (!e.isEmpty()) {
            throw new IllegalArgumentException("invalid image processor config: " + String.join("; ", e));
        }
    }

    /** The Qwen2.5-VL-7B-Instruct {@code preprocessor_config.json} (min 3136, max 12845056, CLIP mean/std). */
    public static ImageProcessorConfig qwen25Vl() {
        return new ImageProcessorConfig(3136, 12845056, 14, 2, 2, CLIP_MEAN, CLIP_STD, true, true, 1.0 / 255, true);
    }

    /** A copy with other pixel bounds (the processor call's {@code min_pixels} / {@code max_pixels}). */
    public ImageProcessorConfig withPixels(long min, long max) {
        return new ImageProcessorConfig(min, max, patchSize, temporalPatchSize, mergeSize, imageMean, imageStd,
                doResize, doRescale, rescaleFactor, doNormalize);
    }

    /** {@code patch_size * merge_size}: the factor both resized sides are multiples of (28). */
    public int factor() {
        return patchSize * mergeSize;
    }

    /** Values per patch row: {@code 3 * temporal_patch_size * patch_size^2} (1176). */
    public int patchDim() {
        return 3 * temporalPatchSize * patchSize * patchSize;
    }

    /**
     * Reads a processor folder's {@code preprocessor_config.json} (or the file itself).
     *
     * @throws ConfigException when the file is missing or malformed
     */
    public static ImageProcessorConfig read(Path dirOrFile) throws ConfigException {
        Path file = Files.isDirectory(dirOrFile) ? dirOrFile.resolve("preprocessor_config.json") : dirOrFile;
        if (!Files.isRegularFile(file)) {
            throw new ConfigException(file + ": image processor config not found");
        }
        return from(JsonConfig.read(file));
    }

    /** The config of a parsed {@code preprocessor_config.json}. */
    public static ImageProcessorConfig from(JsonConfig c) throws ConfigException {
        long min = 56 * 56;
        long max = 28L * 28 * 1280;
        if (c.has("size")) {
            JsonConfig size = c.object("size");
            if (size.has("shortest_edge") && size.has("longest_edge")) {
                min = (long) size.number("shortest_edge");
                max = (long) size.number("longest_edge");
            } else if (size.has("min_pixels") && size.has("max_pixels")) {
                min = (long) size.number("min_pixels");
                max = (long) size.number("max_pixels");
            } else {
                throw new ConfigException(c.file() + ": 'size' must contain 'shortest_edge' and 'longest_edge'");
            }
        }
        if (c.has("min_pixels")) {
            min = (long) c.number("min_pixels");
        }
        if (c.has("max_pixels")) {
            max = (long) c.number("max_pixels");
        }
        int resample = c.integer("resample", 3);
        if (resample != 3) {
            throw new ConfigException(c.file() + ": resample " + resample + " is not supported (bicubic, 3, only)");
        }
        if (!c.bool("do_convert_rgb", true)) {
            throw new ConfigException(c.file() + ": do_convert_rgb false is not supported (images are RGB(A))");
        }
        try {
            return new ImageProcessorConfig(min, max, c.integer("patch_size", 14), c.integer("temporal_patch_size", 2),
                    c.integer("merge_size", 2), c.has("image_mean") ? c.numbers("image_mean") : CLIP_MEAN,
                    c.has("image_std") ? c.numbers("image_std") : CLIP_STD, c.bool("do_resize", true),
                    c.bool("do_rescale", true), c.number("rescale_factor", 1.0 / 255), c.bool("do_normalize", true));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(c.file() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ImageProcessorConfig c && c.minPixels == minPixels && c.maxPixels == maxPixels
                && c.patchSize == patchSize && c.temporalPatchSize == temporalPatchSize && c.mergeSize == mergeSize
                && Arrays.equals(c.imageMean, imageMean) && Arrays.equals(c.imageStd, imageStd)
                && c.doResize == doResize && c.doRescale == doRescale && c.rescaleFactor == rescaleFactor
                && c.doNormalize == doNormalize;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(new long[] {minPixels, maxPixels, patchSize, temporalPatchSize, mergeSize})
                + 31 * Arrays.hashCode(imageMean) + 17 * Arrays.hashCode(imageStd);
    }

    @Override
    public String toString() {
        return "ImageProcessorConfig[pixels " + minPixels + ".." + maxPixels + ", patch " + patchSize + "x"
                + temporalPatchSize + ", merge " + mergeSize + ", mean " + Arrays.toString(imageMean) + ", std "
                + Arrays.toString(imageStd) + "]";
    }
}
