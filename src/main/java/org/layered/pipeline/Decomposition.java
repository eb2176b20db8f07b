package org.layered.pipeline;

import org.layered.image.RgbaImage;
import org.layered.layers.LayerStack;

import java.util.Map;

/**
 * One finished decomposition: the layers (bottom to top) with their composite and its error, and everything needed
 * to reproduce or report the run.
 *
 * @param stack      the N layers, their composite and its error against {@code input}
 * @param input      the image as decomposed: resized to the bucket, RGBA
 * @param bucket     the working size
 * @param settings   the settings, with the seed actually used filled in
 * @param prompt     the prompt used ("" when embeddings were given), or the automatic caption
 * @param captioned  whether {@code prompt} is an automatic caption
 * @param cfgActive  whether true CFG ran (a negative prompt was given and the scale is > 1)
 * @param seconds    wall time per stage, in run order
 */
public record Decomposition(LayerStack stack, RgbaImage input, ResolutionBucket bucket, DecomposeSettings settings,
        String prompt, boolean captioned, boolean cfgActive, Map<String, Double> seconds) {
    public Decomposition {
        seconds = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(seconds)); // run order
    }

    /** The same run with other layers, e.g. those the automatic layer count kept. */
    public Decomposition withStack(LayerStack s) {
        return new Decomposition(s, input, bucket, settings, prompt, captioned, cfgActive, seconds);
    }
}
