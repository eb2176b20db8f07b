package org.layered.pipeline;

import org.layered.image.LanczosResize;
import org.layered.image.RgbaImage;

/**
 * The working size of one decomposition: the pixel size the input is resized to, and the latent and packed-token
 * grids that follow from it (diffusers {@code QwenImageLayeredPipeline}: {@code calculate_dimensions}, the
 * multiple-of-16 floor in {@code __call__}, and {@code prepare_latents}).
 *
 * @param resolution the requested resolution, 640 or 1024
 * @param width working width in pixels (multiple of 32)
 * @param height working height in pixels (multiple of 32)
 */
public record ResolutionBucket(int resolution, int width, int height) {
    /** VAE spatial compression (the pipeline's {@code vae_scale_factor}). */
    public static final int VAE_SCALE_FACTOR = 8;
    /** Latent pixels per packed token side (2x2 patches). */
    public static final int PATCH = 2;
    /** The pipeline's {@code base_seqlen = 256*256/16/16}: token count at which mu = 1. */
    public static final double BASE_SEQ_LEN = 256.0 * 256.0 / 16.0 / 16.0;

    public ResolutionBucket {
        checkResolution(resolution);
        if (width <= 0 || height <= 0 || width % 16 != 0 || height % 16 != 0) {
            throw new IllegalArgumentException("working size " + width + "x" + height
                    + " must be positive multiples of 16");
        }
    }

    /**
     * The bucket for an input image of {@code imageWidth x imageHeight}: {@code calculate_dimensions(res^2, w/h)},
     * then floored to multiples of 16 as the pipeline does (a no-op, the sizes are multiples of 32).
     *
     * @throws IllegalArgumentException for a resolution other than 640 or 1024, a non-positive image size, or an
     *     aspect ratio so extreme that one side rounds to 0 pixels (upstream would fail later on it)
     */
    public static ResolutionBucket forImage(int resolution, int imageWidth, int imageHeight) {
        checkResolution(resolution);
        if (imageWidth <= 0 || imageHeight <= 0) {
            throw new IllegalArgumentException("image size must be positive, got " + imageWidth + "x" + imageHeight);
        }
        // Upstream: image.size[0] / image.size[1], a Python float division (correctly rounded, like Java's).
        long[] wh = calculateDimensions((long) resolution * resolution, (double) imageWidth / imageHeight);
        int multiple = VAE_SCALE_FACTOR * PATCH;
        long w = wh[0] / multiple * multiple;
        long h = wh[1] / multiple * multiple;
        if (w <= 0 || h <= 0) {
            throw new IllegalArgumentException("aspect ratio " + imageWidth + ":" + imageHeight + " is too extreme for "
                    + "resolution " + resolution + ": working size would be " + w + "x" + h);
        }
        if (w > Integer.MAX_VALUE || h > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("working size " + w + "x" + h + " is too large");
        }
        return new ResolutionBucket(resolution, (int) w, (int) h);
    }

    /**
     * Upstream {@code calculate_dimensions(target_area, ratio)}: {@code w = sqrt(area*ratio)}, {@code h = w/ratio},
     * each rounded to a multiple of 32 with Python's round-half-to-even {@code round()}.
     *
     * @return {width, height}
     */
    public static long[] calculateDimensions(double targetArea, double ratio) {
        double width = Math.sqrt(targetArea * ratio); // math.sqrt is correctly rounded, as Math.sqrt
        double height = width / ratio;
        // Python's round() on a float is half-to-even: Math.rint, not Math.round.
        long w = (long) Math.rint(width / 32) * 32;
        long h = (long) Math.rint(height / 32) * 32;
        return new long[] {w, h};
    }

    private static void checkResolution(int resolution) {
        if (resolution != 640 && resolution != 1024) {
            throw new IllegalArgumentException("resolution must be either 640 or 1024, but got " + resolution);
        }
    }

    /** Latent rows: {@code 2 * (height // 16)}, as {@code prepare_latents} computes it. */
    public int latentHeight() {
        return PATCH * (height / (VAE_SCALE_FACTOR * PATCH));
    }

    /** Latent columns. */
    public int latentWidth() {
        return PATCH * (width / (VAE_SCALE_FACTOR * PATCH));
    }

    /** Packed token rows per frame (latent rows / 2). */
    public int gridHeight() {
        return height / VAE_SCALE_FACTOR / PATCH;
    }

    /** Packed token columns per frame. */
    public int gridWidth() {
        return width / VAE_SCALE_FACTOR / PATCH;
    }

    /** Packed tokens of one frame (the condition image has exactly one frame). */
    public int tokensPerFrame() {
        return gridHeight() * gridWidth();
    }

    /** The scheduler shift the Layered pipeline uses: {@code (tokens_per_frame / 256) ** 0.5}. */
    public double mu() {
        return FlowMatchEulerScheduler.layeredMu(tokensPerFrame());
    }

    /**
     * The input resized to this bucket with Pillow-compatible Lanczos (premultiplied alpha), or the image itself if
     * it already has the working size (Pillow then copies).
     */
    public RgbaImage fit(RgbaImage image) {
        return LanczosResize.resize(image, width, height);
    }
}
