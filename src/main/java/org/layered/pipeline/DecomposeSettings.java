package org.layered.pipeline;

import org.layered.engine.DeviceSpec;

/**
 * What to decompose with, defaulting to the official usage (README / app.py): 4 layers, resolution 640, 50 steps,
 * true CFG 4.0 with normalisation, negative prompt {@code " "}.
 *
 * @param layers         N, the number of RGBA layers returned (the model generates N+1 frames)
 * @param resolution     640 or 1024 (area bucket)
 * @param steps          Euler steps
 * @param cfgScale       true CFG scale; active when > 1 and a negative prompt is given
 * @param cfgNormalize   rescale the guided prediction per token to the conditional one's norm
 * @param seed           initial-noise seed, or null for a random one (the run records the seed it used)
 * @param prompt         the whole-image description, or null/blank for an automatic caption
 * @param negativePrompt the negative prompt, or null to switch CFG off
 * @param device         where to run
 */
public record DecomposeSettings(int layers, int resolution, int steps, double cfgScale, boolean cfgNormalize,
        Long seed, String prompt, String negativePrompt, DeviceSpec device) {

    public static final int MAX_LAYERS = 20;

    public DecomposeSettings {
        if (layers < 1 || layers > MAX_LAYERS) {
            throw new IllegalArgumentException("layers must be between 1 and " + MAX_LAYERS + ", got " + layers);
        }
        if (resolution != 640 && resolution != 1024) {
            throw new IllegalArgumentException("resolution must be 640 or 1024, got " + resolution);
        }
        if (steps < 1 || steps > 1000) {
            throw new IllegalArgumentException("steps must be between 1 and 1000, got " + steps);
        }
        if (!(cfgScale >= 0) || Double.isInfinite(cfgScale)) {
            throw new IllegalArgumentException("cfg scale must be a finite number >= 0, got " + cfgScale);
        }
        if (device == null) {
            device = DeviceSpec.AUTO;
        }
    }

    /** The official defaults. */
    public static DecomposeSettings defaults() {
        return new DecomposeSettings(4, 640, 50, 4.0, true, null, null, " ", DeviceSpec.AUTO);
    }

    public DecomposeSettings withLayers(int n) {
        return new DecomposeSettings(n, resolution, steps, cfgScale, cfgNormalize, seed, prompt, negativePrompt,
                device);
    }

    public DecomposeSettings withResolution(int r) {
        return new DecomposeSettings(layers, r, steps, cfgScale, cfgNormalize, seed, prompt, negativePrompt, device);
    }

    public DecomposeSettings withSteps(int s) {
        return new DecomposeSettings(layers, resolution, s, cfgScale, cfgNormalize, seed, prompt, negativePrompt,
                device);
    }

    public DecomposeSettings withCfg(double scale, boolean normalize) {
        return new DecomposeSettings(layers, resolution, steps, scale, normalize, seed, prompt, negativePrompt,
                device);
    }

    public DecomposeSettings withSeed(Long s) {
        return new DecomposeSettings(layers, resolution, steps, cfgScale, cfgNormalize, s, prompt, negativePrompt,
                device);
    }

    public DecomposeSettings withPrompt(String p, String negative) {
        return new DecomposeSettings(layers, resolution, steps, cfgScale, cfgNormalize, seed, p, negative, device);
    }

    public DecomposeSettings withDevice(DeviceSpec d) {
        return new DecomposeSettings(layers, resolution, steps, cfgScale, cfgNormalize, seed, prompt, negativePrompt,
                d);
    }

    /** Whether the prompt asks for an automatic caption, as upstream: null, "" or " ". */
    public boolean wantsCaption() {
        return prompt == null || prompt.isEmpty() || prompt.equals(" ");
    }
}
