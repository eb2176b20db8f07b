package org.layered.pipeline;

import org.layered.engine.Ops;
import org.layered.engine.Tensor;
import org.layered.engine.TensorScope;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * 2x2 patch packing of latents into transformer tokens and back ({@code QwenImageLayeredPipeline._pack_latents},
 * {@code _unpack_latents}, and the condition branch of {@code prepare_latents}).
 *
 * <p>Packed layout: token {@code f*(h/2)*(w/2) + y*(w/2) + x}, feature {@code c*4 + dy*2 + dx}. Note the upstream
 * asymmetry: packing takes frames-first latents {@code (B, F, C, h, w)} and the frame count, unpacking takes the
 * number of <em>layers</em>, returns {@code layers + 1} frames and puts channels first {@code (B, C, F, h, w)} as
 * the VAE wants them. Results belong to the caller's current scope.
 */
public final class LatentPacking {
    private LatentPacking() {
    }

    /** {@code _pack_latents} with all sizes taken from the {@code (B, F, C, h, w)} input. */
    public static Tensor pack(Tensor latents) {
        long[] s = shapeOf(latents, 5, "latents (batch, frames, channels, height, width)");
        return pack(latents, s[0], s[2], s[3], s[4], s[1]);
    }

    /**
     * {@code _pack_latents(latents, batch_size, num_channels_latents, height, width, layers)}, where
     * {@code frames} (upstream's {@code layers}) is the number of frames in the input.
     *
     * @param height latent rows (even)
     * @param width latent columns (even)
     * @return {@code (B, frames * (h/2) * (w/2), C * 4)}
     */
    public static Tensor pack(Tensor latents, long batch, long channels, long height, long width, long frames) {
        long[] want = {batch, frames, channels, height, width};
        if (!Arrays.equals(latents.shape(), want)) {
            throw new IllegalArgumentException("latents of shape " + Arrays.toString(latents.shape())
                    + " cannot be packed as (batch, frames, channels, height, width) = " + Arrays.toString(want));
        }
        requireEven(height, width);
        try (TensorScope s = TensorScope.open()) {
            Tensor x = latents.reshape(batch, frames, channels, height / 2, 2, width / 2, 2);
            x = x.permute(0, 1, 3, 5, 2, 4, 6); // (b, f, h', w', c, dy, dx)
            return s.keep(x.reshape(batch, frames * (height / 2) * (width / 2), channels * 4));
        }
    }

    /**
     * {@code _unpack_latents(latents, height, width, layers, vae_scale_factor)}.
     *
     * @param pixelHeight image height in pixels (the latent grid is {@code 2 * (height // (2 * vaeScale))} rows)
     * @param pixelWidth image width in pixels
     * @param layers number of layers; {@code layers + 1} frames are unpacked (frame 0 is the composite)
     * @return {@code (B, C, layers + 1, h, w)}
     */
    public static Tensor unpack(Tensor packed, long pixelHeight, long pixelWidth, int layers, int vaeScaleFactor) {
        long[] s = shapeOf(packed, 3, "packed latents (batch, tokens, features)");
        long batch = s[0];
        long tokens = s[1];
        long features = s[2];
        long height = 2 * (pixelHeight / (vaeScaleFactor * 2L));
        long width = 2 * (pixelWidth / (vaeScaleFactor * 2L));
        long frames = layers + 1L;
        if (features % 4 != 0 || height <= 0 || width <= 0 || tokens != frames * (height / 2) * (width / 2)) {
            throw new IllegalArgumentException("packed latents " + Arrays.toString(s) + " do not hold " + frames
                    + " frames of " + (height / 2) + "x" + (width / 2) + " tokens (" + pixelWidth + "x" + pixelHeight
                    + " pixels, " + layers + " layers) with a multiple of 4 features");
        }
        long channels = features / 4;
        try (TensorScope sc = TensorScope.open()) {
            Tensor x = packed.reshape(batch, frames, height / 2, width / 2, channels, 2, 2);
            x = x.permute(0, 1, 4, 2, 5, 3, 6); // (b, f, c, h', dy, w', dx)
            x = x.reshape(batch, frames, channels, height, width);
            return sc.keep(x.permute(0, 2, 1, 3, 4)); // (b, c, f, h, w)
        }
    }

    /**
     * The condition branch of {@code prepare_latents}: VAE latents {@code (B0, C, 1, h, w)} repeated to
     * {@code batchSize} when it is a multiple of {@code B0}, permuted to frames-first and packed as one frame.
     *
     * @return {@code (batchSize, (h/2) * (w/2), C * 4)}
     */
    public static Tensor packCondition(Tensor imageLatents, int batchSize) {
        long[] s = shapeOf(imageLatents, 5, "condition latents (batch, channels, frames, height, width)");
        if (s[2] != 1) {
            throw new IllegalArgumentException("condition latents must have 1 frame, shape " + Arrays.toString(s));
        }
        long b0 = s[0];
        if (batchSize > b0 && batchSize % b0 != 0) {
            throw new IllegalArgumentException("Cannot duplicate `image` of batch size " + b0 + " to " + batchSize
                    + " text prompts.");
        }
        if (batchSize < b0) {
            throw new IllegalArgumentException("batch size " + batchSize + " is smaller than the condition latents' "
                    + b0 + " (upstream's view() fails there too)");
        }
        try (TensorScope sc = TensorScope.open()) {
            Tensor x = imageLatents;
            if (batchSize > b0) {
                List<Tensor> copies = new ArrayList<>();
                for (long i = 0; i < batchSize / b0; i++) {
                    copies.add(imageLatents);
                }
                x = Ops.concat(copies, 0); // torch.cat([image_latents] * n): whole batch repeated, not interleaved
            }
            x = x.permute(0, 2, 1, 3, 4); // (b, c, f, h, w) -> (b, f, c, h, w)
            return sc.keep(pack(x, batchSize, s[1], s[3], s[4], 1));
        }
    }

    private static long[] shapeOf(Tensor t, int rank, String what) {
        long[] s = t.shape();
        if (s.length != rank) {
            throw new IllegalArgumentException(what + " must have rank " + rank + ", got shape "
                    + Arrays.toString(s));
        }
        return s;
    }

    private static void requireEven(long height, long width) {
        if (height % 2 != 0 || width % 2 != 0) {
            throw new IllegalArgumentException("latent size " + height + "x" + width + " must be even to pack 2x2");
        }
    }
}
