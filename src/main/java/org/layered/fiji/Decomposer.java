package org.layered.fiji;

import org.layered.image.RgbaImage;
import org.layered.engine.Cancellation;
import org.layered.pipeline.DecomposeSettings;
import org.layered.pipeline.Decomposition;
import org.layered.pipeline.DecompositionPlan;
import org.layered.pipeline.ProgressListener;

/**
 * Turns one RGBA image into layers. The front ends use {@link PipelineDecomposer} (the model, kept loaded between
 * runs); the seam exists so that the ImageJ-side logic can be tested without running the network.
 */
public interface Decomposer {
    /**
     * One finished run and what it ran on.
     *
     * @param modelDir  the model folder
     * @param model     a description of the model (folder, or repository and cache it came from)
     * @param device    the device used, e.g. {@code cpu} or {@code cuda:0}
     * @param precision the compute precision, e.g. {@code FLOAT32}
     * @param deviceChoice what the device request resolved to and why, e.g.
     *                  {@code auto → cuda:0 (NVIDIA H100 80GB HBM3, 79.2 GiB)}
     * @param plan      the memory plan the run followed, or null (a run without one)
     */
    record Run(Decomposition decomposition, java.nio.file.Path modelDir, String model, String device, String precision,
            String deviceChoice, DecompositionPlan plan) {
        /** The same run with another decomposition (the layers an automatic count kept). */
        public Run withDecomposition(Decomposition d) {
            return new Run(d, modelDir, model, device, precision, deviceChoice, plan);
        }

        /** A run whose device was asked for by name, without a memory plan. */
        public Run(Decomposition decomposition, java.nio.file.Path modelDir, String model, String device,
                String precision) {
            this(decomposition, modelDir, model, device, precision, device, null);
        }
    }

    /**
     * Decomposes {@code image}.
     *
     * @throws DecomposeException                with a message for the user when it cannot be done
     * @throws Cancellation.CancelledException when {@code cancel} was triggered
     */
    Run decompose(RgbaImage image, DecomposeOptions options, DecomposeSettings settings, ProgressListener progress,
            Cancellation cancel) throws DecomposeException;
}
