package org.layered.pipeline;

/**
 * Hears what a decomposition is doing: named stages and denoising steps. Front ends adapt it to ImageJ's progress
 * bar, SciJava tasks or a line per step on stderr. Calls come from the thread running the pipeline.
 */
public interface ProgressListener {
    /** A listener that ignores everything. */
    ProgressListener NONE = new ProgressListener() {};

    /** A stage starts, e.g. "encode image", "denoise", "decode layers". */
    default void stage(String name) {}

    /** A one-line message for the user's log, e.g. that the model is being reloaded and why. */
    default void note(String message) {}

    /** Denoising step {@code step} (1-based) of {@code total} has finished. */
    default void step(int step, int total) {}

    /**
     * The packed latents after step {@code step} (1-based), like diffusers' {@code callback_on_step_end}: valid only
     * during the call (copy what you need, e.g. with {@code toFloats()}).
     */
    default void stepEnd(int step, org.layered.engine.Tensor latents) {}
}
