package org.layered.pipeline;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layered.engine.Cancellation;
import org.layered.engine.ComputeDevice;
import org.layered.engine.DeviceSpec;
import org.layered.engine.Ops;
import org.layered.engine.Precision;
import org.layered.engine.TensorScope;
import org.layered.image.RgbaImage;
import org.layered.layers.LayerDifference;
import org.layered.testing.TinyModel;
import org.layered.weights.residency.ResidencyPolicy;
import org.layered.weights.residency.WeightFormat;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A whole tiny-model decomposition with the transformer's weights held as float8 against the same run in float32
 * (same inputs and seed): how many 8-bit layer values differ, and by how much (the figures the README reports).
 */
class Fp8LayersTest {
    @TempDir
    Path dir;

    @Test
    void float8WeightsMoveFewLayerValuesByMoreThanAFewLevels() throws Exception {
        Path model = TinyModel.build(dir.resolve("m"), 21);
        DecomposeSettings s = new DecomposeSettings(2, 640, 2, 4.0, true, 9L, null, " ", DeviceSpec.CPU);
        List<RgbaImage> f32 = run(model, s, WeightFormat.BF16); // held as read: float32 on the CPU
        List<RgbaImage> fp8 = run(model, s, WeightFormat.FP8);
        LayerDifference d = LayerDifference.of(f32, fp8);
        String report = "tiny model, 704x576, 2 layers, 2 steps, CFG 4, CPU: fp8 vs float32 " + d;
        System.out.println(report);
        assertEquals(2, fp8.size());
        assertTrue(d.overOne() > 0, "float8 must change something: " + report);
        assertTrue(d.overFour() < 0.10 * d.values() && d.overSixteen() < 0.001 * d.values(), report);
    }

    private static List<RgbaImage> run(Path model, DecomposeSettings s, WeightFormat format) throws Exception {
        ComputeDevice cpu = ComputeDevice.CPU;
        try (DecomposePipeline p = DecomposePipeline.open(model, cpu, Precision.FLOAT32,
                ResidencyPolicy.resident().withFormat(format), null); TensorScope scope = TensorScope.open()) {
            GivenInputs given = new GivenInputs(
                    new TextConditioning(Ops.seededNormal(1, new long[] {1, 6, TinyModel.TEXT_DIM}, cpu), null),
                    new TextConditioning(Ops.seededNormal(2, new long[] {1, 4, TinyModel.TEXT_DIM}, cpu), null),
                    null);
            return p.run(TinyModel.image(704, 576), s, given, ProgressListener.NONE, new Cancellation()).stack()
                    .layers();
        }
    }
}
