package org.layered.pipeline;

import org.layered.engine.Cancellation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layered.engine.ComputeDevice;
import org.layered.engine.DeviceSpec;
import org.layered.engine.Ops;
import org.layered.engine.Precision;
import org.layered.engine.Tensor;
import org.layered.engine.TensorScope;
import org.layered.image.RgbaImage;
import org.layered.testing.TinyModel;

import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The reproducibility path on the golden (upstream-initialised) VAE and transformer with the released scheduler
 * config: a 704x576 RGBA image (already a 640 bucket, so no resize), 2 layers, 3 steps, CFG 4 with normalisation,
 * given embeddings and initial latents. The float32 run must be deterministic and agree with a float64 rerun.
 */
class PipelineReproducibilityTest {
    static final double LATENT_TOLERANCE = 5e-5;

    private record Run(float[] latents, java.util.List<RgbaImage> layers) {}

    private static Run run(Path model, Precision precision) throws IOException {
        RgbaImage image = TinyModel.image(704, 576);
        DecomposeSettings settings = new DecomposeSettings(2, 640, 3, 4.0, true, 0L, null, null, DeviceSpec.CPU);
        ResolutionBucket bucket = ResolutionBucket.forImage(640, 704, 576);
        assertEquals(704, bucket.width());
        assertEquals(576, bucket.height());
        float[][] last = new float[1][];
        ProgressListener capture = new ProgressListener() {
            @Override
            public void stepEnd(int step, Tensor latents) {
                last[0] = latents.toFloats();
            }
        };
        try (DecomposePipeline p = DecomposePipeline.open(model, ComputeDevice.CPU, precision, null);
             TensorScope s = TensorScope.open()) {
            ComputeDevice cpu = ComputeDevice.CPU;
            GivenInputs given = new GivenInputs(
                    new TextConditioning(Ops.seededNormal(21, new long[] {1, 6, TinyModel.TEXT_DIM}, cpu), null),
                    new TextConditioning(Ops.seededNormal(22, new long[] {1, 4, TinyModel.TEXT_DIM}, cpu), null),
                    Ops.seededNormal(23, new long[] {1, 3L * bucket.tokensPerFrame(), 64}, cpu));
            Decomposition d = p.run(image, settings, given, capture, new Cancellation());
            assertTrue(d.cfgActive());
            return new Run(last[0], d.stack().layers());
        }
    }

    @Test
    void deterministicAndWithinToleranceOfAFloat64Rerun(@TempDir Path dir) throws IOException {
        Path model = TinyModel.golden(dir);
        Run a = run(model, Precision.FLOAT32);
        Run b = run(model, Precision.FLOAT32);
        assertArrayEquals(a.latents(), b.latents(), "float32 runs are bit-identical");
        assertEquals(a.layers(), b.layers());
        Run ref = run(model, Precision.FLOAT64);
        double max = 0;
        for (int i = 0; i < a.latents().length; i++) {
            max = Math.max(max, Math.abs(a.latents()[i] - ref.latents()[i]));
        }
        System.out.printf("final latents, float32 vs float64 rerun: max abs diff %.3g over %d values%n", max,
                a.latents().length);
        assertTrue(max <= LATENT_TOLERANCE, "float32 vs float64 latents differ by " + max);
    }
}
