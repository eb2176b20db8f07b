package org.layered.model.text.vision;

import org.layered.image.PillowResample;
import org.layered.image.RgbaImage;

/**
 * The slow {@code Qwen2VLImageProcessor} (PIL + numpy) of transformers, for one image:
 * <ol>
 *   <li>{@code convert_to_rgb}: an RGBA image is converted with PIL {@code convert("RGB")}, i.e. the alpha channel is
 *       <b>dropped</b>, not composited;</li>
 *   <li>{@link #smartResize smart_resize} to multiples of {@code patch_size * merge_size} (28) within
 *       [{@code min_pixels}, {@code max_pixels}], Python {@code round} (half to even);</li>
 *   <li>Pillow bicubic resize on the 8-bit image ({@link PillowResample});</li>
 *   <li>rescale {@code x * (1/255)} in float64 cast to float32, then {@code (x - mean) / std} in float32;</li>
 *   <li>the frame is repeated to {@code temporal_patch_size} slices and cut into 14x14 patches: one row per patch in
 *       merge-block order (for each 2x2 block of patches, row-major over blocks, its 4 patches row-major), columns
 *       ordered (channel, temporal, row, column) - 1176 values.</li>
 * </ol>
 * Grid = (t, h, w) = (1, H/14, W/14). The default upstream processor at transformers 4.57 is the torchvision "fast"
 * one when torchvision is installed; it differs from this one by one 8-bit level on a few resampled values.
 */
public final class QwenImageProcessor {
    private final ImageProcessorConfig config;

    public QwenImageProcessor(ImageProcessorConfig config) {
        this.config = config;
    }

    public ImageProcessorConfig config() {
        return config;
    }

    /**
     * One processed image.
     *
     * @param pixelValues  row-major {@code (gridT*gridH*gridW) x patchDim} float32 values
     * @param patchDim     values per row (1176)
     * @param gridT        temporal patches (1 for an image)
     * @param gridH        patch rows
     * @param gridW        patch columns
     * @param resizedRgb   the resized 8-bit RGB image ({@code H x W x 3}), before rescaling
     * @param resizedWidth  its width
     * @param resizedHeight its height
     */
    public record Processed(float[] pixelValues, int patchDim, int gridT, int gridH, int gridW, byte[] resizedRgb,
            int resizedWidth, int resizedHeight, int mergeSize) {
        /** Patch rows ({@code t*h*w}). */
        public int patches() {
            return gridT * gridH * gridW;
        }

        /** Merged tokens the vision tower returns, i.e. {@code <|image_pad|>} tokens: {@code t*h*w / merge^2}. */
        public int mergedTokens() {
            return patches() / (mergeSize * mergeSize);
        }

        /** {@code image_grid_thw} row. */
        public long[] gridThw() {
            return new long[] {gridT, gridH, gridW};
        }
    }

    /**
     * {@code smart_resize(height, width, factor, min_pixels, max_pixels)}.
     *
     * @return {height, width}
     * @throws IllegalArgumentException when the aspect ratio exceeds 200 (upstream's ValueError)
     */
    public static int[] smartResize(int height, int width, int factor, long minPixels, long maxPixels) {
        if (height <= 0 || width <= 0) {
            throw new IllegalArgumentException("image size must be positive, got " + width + "x" + height);
        }
        double ratio = (double) Math.max(height, width) / Math.min(height, width);
        if (ratio > 200) {
            throw new IllegalArgumentException("absolute aspect ratio must be smaller than 200, got " + ratio);
        }
        long hBar = (long) Math.rint((double) height / factor) * factor;
        long wBar = (long) Math.rint((double) width / factor) * factor;
        if (hBar * wBar > maxPixels) {
            double beta = Math.sqrt((double) height * width / maxPixels);
            hBar = Math.max(factor, (long) Math.floor(height / beta / factor) * factor);
            wBar = Math.max(factor, (long) Math.floor(width / beta / factor) * factor);
        } else if (hBar * wBar < minPixels) {
            double beta = Math.sqrt((double) minPixels / ((double) height * width));
            hBar = (long) Math.ceil(height * beta / factor) * factor;
            wBar = (long) Math.ceil(width * beta / factor) * factor;
        }
        return new int[] {Math.toIntExact(hBar), Math.toIntExact(wBar)};
    }

    /** The size an image of {@code width x height} is resized to: {height, width}. */
    public int[] targetSize(int width, int height) {
        if (!config.doResize()) {
            return new int[] {height, width};
        }
        return smartResize(height, width, config.factor(), config.minPixels(), config.maxPixels());
    }

    /** Processes an RGBA image (alpha dropped, as PIL {@code convert("RGB")}). */
    public Processed process(RgbaImage image) {
        byte[] rgba = image.rgba();
        byte[] rgb = new byte[image.width() * image.height() * 3];
        for (int i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
            rgb[j] = rgba[i];
            rgb[j + 1] = rgba[i + 1];
            rgb[j + 2] = rgba[i + 2];
        }
        return processRgb(rgb, image.width(), image.height());
    }

    /** Processes 8-bit RGB pixels ({@code height x width x 3}, row-major). */
    public Processed processRgb(byte[] rgb, int width, int height) {
        if ((long) width * height * 3 != rgb.length) {
            throw new IllegalArgumentException("a " + width + "x" + height + " RGB image needs "
                    + ((long) width * height * 3) + " bytes, got " + rgb.length);
        }
        int[] size = targetSize(width, height);
        int rh = size[0];
        int rw = size[1];
        int p = config.patchSize();
        int m = config.mergeSize();
        if (rh % (p * m) != 0 || rw % (p * m) != 0) {
            throw new IllegalArgumentException("image size " + rw + "x" + rh + " is not a multiple of patch_size * "
                    + "merge_size = " + (p * m) + " (resizing is off in the processor config)");
        }
        byte[] resized = PillowResample.resize(rgb, 3, width, height, rw, rh, PillowResample.Filter.BICUBIC);

        // rescale (float64 product cast to float32) and normalise (float32), per channel
        float[] mean = new float[3];
        float[] std = new float[3];
        for (int c = 0; c < 3; c++) {
            mean[c] = (float) config.imageMean()[c];
            std[c] = (float) config.imageStd()[c];
        }
        float[] lut = new float[256 * 3];
        for (int v = 0; v < 256; v++) {
            for (int c = 0; c < 3; c++) {
                float x = config.doRescale() ? (float) (v * config.rescaleFactor()) : (float) v;
                if (config.doNormalize()) {
                    x = (x - mean[c]) / std[c];
                }
                lut[c * 256 + v] = x;
            }
        }

        int tp = config.temporalPatchSize();
        int gridT = 1; // one frame, repeated to temporal_patch_size slices
        int gridH = rh / p;
        int gridW = rw / p;
        int dim = config.patchDim();
        float[] out = new float[gridT * gridH * gridW * dim];
        int row = 0;
        for (int bh = 0; bh < gridH / m; bh++) {
            for (int bw = 0; bw < gridW / m; bw++) {
                for (int mh = 0; mh < m; mh++) {
                    for (int mw = 0; mw < m; mw++) {
                        int y0 = (bh * m + mh) * p;
                        int x0 = (bw * m + mw) * p;
                        int o = row * dim;
                        for (int c = 0; c < 3; c++) {
                            for (int t = 0; t < tp; t++) {
                                for (int py = 0; py < p; py++) {
                                    int src = ((y0 + py) * rw + x0) * 3 + c;
                                    for (int px = 0; px < p; px++) {
                                        out[o++] = lut[c * 256 + (resized[src + px * 3] & 0xFF)];
                                    }
                                }
                            }
                        }
                        row++;
                    }
                }
            }
        }
        return new Processed(out, dim, gridT, gridH, gridW, resized, rw, rh, m);
    }
}
