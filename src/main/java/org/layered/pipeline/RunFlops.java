package org.layered.pipeline;

import org.layered.model.transformer.TransformerConfig;

import java.util.Locale;

/**
 * The arithmetic of a decomposition's denoising loop, counted from the transformer's config: per double-stream
 * block and token, the QKV and output projections ({@code 8·D²}) and the GELU feed-forward of width {@code 4·D}
 * ({@code 16·D²}), plus joint attention ({@code 4·N²·D} for N image + text tokens); plus the input and output
 * projections; times two forwards per step with true CFG, times the steps. Multiply-adds count as two FLOPs. The VAE
 * and the text encoder are not counted (on the released model the transformer is almost all of the work).
 *
 * @param imageTokens packed latent tokens per forward: (layers + 1) noisy frames and the condition frame
 * @param textTokens  prompt tokens per forward (an estimate before the prompt is encoded)
 * @param blocks      transformer blocks
 * @param width       the transformer's inner width D (heads x head dimension)
 * @param forwards    forwards per step: 2 with true CFG, else 1
 * @param steps       denoising steps
 * @param perForward  FLOPs of one forward
 */
public record RunFlops(long imageTokens, long textTokens, int blocks, int width, int forwards, int steps,
        double perForward) {
    /** Prompt tokens assumed before the prompt is encoded: about a caption's length in the prompt template. */
    public static final int TYPICAL_TEXT_TOKENS = 128;

    /** The count for a run of {@code settings} on an image that falls into {@code bucket}. */
    public static RunFlops of(TransformerConfig config, ResolutionBucket bucket, DecomposeSettings settings,
            int textTokens) {
        long image = (long) (settings.layers() + 2) * bucket.tokensPerFrame();
        double d = config.innerDim();
        double n = image + textTokens;
        double blocks = config.numLayers() * (24 * n * d * d + 4 * n * n * d);
        int patchOut = config.patchSize() * config.patchSize() * config.outChannels();
        double io = 2 * image * config.inChannels() * d + 2.0 * textTokens * config.jointAttentionDim() * d
                + 2 * image * d * patchOut;
        boolean cfg = Guidance.isActive(settings.cfgScale(), settings.negativePrompt() != null);
        return new RunFlops(image, textTokens, config.numLayers(), config.innerDim(), cfg ? 2 : 1, settings.steps(),
                blocks + io);
    }

    /** FLOPs of the whole loop. */
    public double total() {
        return perForward * forwards * steps;
    }

    /** Seconds at a given rate. */
    public double seconds(double flopsPerSecond) {
        return total() / flopsPerSecond;
    }

    /** E.g. {@code 340 TFLOP (50 steps x 2 forwards (CFG), 60 blocks of width 3072, 9600 + 128 tokens)}. */
    public String describe() {
        return String.format(Locale.ROOT, "%s (%d steps x %d forward%s%s, %d blocks of width %d, %d image + %d text "
                + "tokens)", flops(total()), steps, forwards, forwards == 1 ? "" : "s", forwards == 2 ? " (CFG)" : "",
                blocks, width, imageTokens, textTokens);
    }

    static String flops(double f) {
        String[] units = {"FLOP", "kFLOP", "MFLOP", "GFLOP", "TFLOP", "PFLOP", "EFLOP"};
        int u = 0;
        while (f >= 1000 && u < units.length - 1) {
            f /= 1000;
            u++;
        }
        return String.format(Locale.ROOT, f >= 100 ? "%.0f %s" : "%.1f %s", f, units[u]);
    }
}
