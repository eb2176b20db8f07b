package org.layered.pipeline;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layered.engine.Cancellation;
import org.layered.engine.ComputeDevice;
import org.layered.engine.DeviceSpec;
import org.layered.engine.Ops;
import org.layered.engine.Precision;
import org.layered.engine.Tensor;
import org.layered.engine.TensorScope;
import org.layered.testing.TinyModel;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Damaged weights stop the run with the stage and the likely cause instead of returning garbage layers: an infinite
 * VAE decoder weight is caught in the decoded layers (the transformer's NaN case is the command-line test), NaN in
 * given latents before any work.
 */
class NonFiniteValuesTest {
    @TempDir
    Path dir;

    private static DecomposeSettings settings(int steps) {
        return new DecomposeSettings(1, 640, steps, 1.0, false, 5L, null, null, DeviceSpec.CPU);
    }

    private static TextConditioning prompt() {
        return new TextConditioning(Ops.seededNormal(3, new long[] {1, 4, TinyModel.TEXT_DIM}, ComputeDevice.CPU),
                null);
    }

    @Test
    void anInfiniteVaeDecoderWeightStopsTheRunAtTheDecodedLayers() throws Exception {
        Path model = TinyModel.build(dir.resolve("inf-vae"), 5);
        // [out 0, in 0, t 2, 1, 1]: the last time slice, the one a single frame's causal convolution uses
        TinyModel.setValue(TinyModel.weights(model, "vae"), "decoder.conv_in.weight", 22, Float.POSITIVE_INFINITY);
        try (DecomposePipeline p = DecomposePipeline.open(model, ComputeDevice.CPU, Precision.FLOAT32, null);
             TensorScope s = TensorScope.open()) {
            NonFiniteValuesException e = assertThrows(NonFiniteValuesException.class, () -> p.run(
                    TinyModel.image(64, 64), settings(1), new GivenInputs(prompt(), null, null),
                    ProgressListener.NONE, new Cancellation()));
            assertEquals("decode layers", e.stage());
            assertTrue(e.getMessage().contains("the VAE decoder turned finite latents into NaN or infinite pixels"),
                    e.getMessage());
            assertTrue(e.getMessage().contains("(vae/) are probably damaged; 'layered info --model " + model
                    + " --verify true' names the tensors"), e.getMessage());
            assertEquals(1, TensorScope.depth(), "the failed run closed its scopes");

            // NaN in given initial latents is the inputs file's fault, said before any work
            long tokens = 2L * ResolutionBucket.forImage(640, 64, 64).tokensPerFrame();
            float[] bad = new float[(int) tokens * 64];
            bad[7] = Float.NaN;
            Tensor latents = Ops.fromFloats(bad, new long[] {1, tokens, 64}, ComputeDevice.CPU);
            NonFiniteValuesException given = assertThrows(NonFiniteValuesException.class, () -> p.run(
                    TinyModel.image(64, 64), settings(1), new GivenInputs(prompt(), null, latents),
                    ProgressListener.NONE, new Cancellation()));
            assertEquals("inputs", given.stage());
            assertTrue(given.getMessage().contains("the given initial 'latents' hold NaN or infinite values"),
                    given.getMessage());
        }
    }
}
