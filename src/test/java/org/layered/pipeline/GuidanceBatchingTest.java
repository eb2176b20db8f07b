package org.layered.pipeline;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layered.engine.Cancellation;
import org.layered.engine.ComputeDevice;
import org.layered.engine.DeviceSpec;
import org.layered.engine.Ops;
import org.layered.engine.Precision;
import org.layered.engine.Tensor;
import org.layered.engine.TensorScope;
import org.layered.image.RgbaImage;
import org.layered.layers.LayerDifference;
import org.layered.testing.TinyModel;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** True CFG's two branches as one batch of two give what two transformer calls give. */
class GuidanceBatchingTest {
    private static final ComputeDevice CPU = ComputeDevice.CPU;

    @TempDir
    static Path dir;
    static Path model;

    @BeforeAll
    static void buildModel() throws IOException {
        model = TinyModel.build(dir.resolve("tiny"), 7);
    }

    @Test
    void pairingPadsTheShorterPromptAndMasksItsPadding() {
        try (TensorScope s = TensorScope.open()) {
            Tensor a = Ops.seededNormal(1, new long[] {1, 3, 4}, CPU);
            Tensor b = Ops.seededNormal(2, new long[] {1, 5, 4}, CPU);
            Tensor bMask = Ops.fromLongs(new long[] {1, 0, 1, 1, 1}, new long[] {1, 5}, CPU);
            TextConditioning pair = new TextConditioning(a, null).pairedWith(new TextConditioning(b, bMask));
            assertArrayEquals(new long[] {2, 5, 4}, pair.embeds().shape());
            assertArrayEquals(new long[] {1, 1, 1, 0, 0, 1, 0, 1, 1, 1}, pair.mask().toLongs());
            float[] e = pair.embeds().toFloats();
            float[] ea = a.toFloats();
            for (int i = 0; i < 12; i++) {
                assertEquals(ea[i], e[i]);
            }
            for (int i = 12; i < 20; i++) {
                assertEquals(0f, e[i], "padding is zeros");
            }
            // equal lengths without masks need no mask at all
            assertNull(new TextConditioning(a, null).pairedWith(new TextConditioning(a, null)).mask());
        }
    }

    @Test
    void autoBatchesExactlyWhenTheMemoryPlanSays() throws IOException {
        DecomposeSettings settings = new DecomposeSettings(1, 640, 2, 4.0, true, 99L, null, " ", DeviceSpec.CPU);
        DecompositionPlanner.ModelConfigs configs = DecompositionPlanner.ModelConfigs.of(
                org.layered.weights.config.ModelIndex.read(model));
        DecompositionPlanner.Request request = DecompositionPlanner.Request.of(settings, 90, 70, true,
                org.layered.weights.residency.WeightFormat.BF16, MemoryMode.AUTO, null).withLoadedTransformer(false,
                5, 3);
        DecompositionPlan roomy = DecompositionPlanner.plan(configs, request,
                new DecompositionPlanner.Machine("cuda:0 (test card)", true, 80L << 30, 80L << 30, 64L << 30));
        assertTrue(roomy.batchedGuidance(), String.join("\n", roomy.lines()));
        assertFalse(DecompositionPlanner.plan(configs, request, new DecompositionPlanner.Machine("cpu", false, 0, 0,
                64L << 30)).batchedGuidance(), "two calls on the CPU, where one batch measured no faster");
        try (DecomposePipeline planned = DecomposePipeline.open(model, CPU, Precision.FLOAT32, roomy, null);
             DecomposePipeline unplanned = DecomposePipeline.open(model, CPU, Precision.FLOAT32, null)) {
            assertTrue(planned.oneBatch(), "AUTO follows the plan");
            assertFalse(planned.guidanceBatching(GuidanceBatching.TWO_CALLS).oneBatch());
            assertFalse(unplanned.oneBatch(), "without a plan nothing says the doubled activations fit");
            assertTrue(unplanned.guidanceBatching(GuidanceBatching.ONE_BATCH).oneBatch());
        }
    }

    @Test
    void oneBatchMatchesTwoCallsStepByStepAndInTheLayers() throws IOException {
        RgbaImage image = TinyModel.image(90, 70);
        DecomposeSettings settings = new DecomposeSettings(1, 640, 2, 4.0, true, 99L, null, null, DeviceSpec.CPU);
        List<float[]> twoCalls = new ArrayList<>();
        List<float[]> oneBatch = new ArrayList<>();
        Decomposition[] results = new Decomposition[2];
        try (DecomposePipeline p = DecomposePipeline.open(model, CPU, Precision.FLOAT32, null);
             TensorScope s = TensorScope.open()) {
            // positive: 5 tokens, no mask; negative: 3 tokens, one of them masked
            GivenInputs given = new GivenInputs(
                    new TextConditioning(Ops.seededNormal(3, new long[] {1, 5, TinyModel.TEXT_DIM}, CPU), null),
                    new TextConditioning(Ops.seededNormal(4, new long[] {1, 3, TinyModel.TEXT_DIM}, CPU),
                            Ops.fromLongs(new long[] {1, 1, 0}, new long[] {1, 3}, CPU)), null);
            for (int k = 0; k < 2; k++) {
                List<float[]> steps = k == 0 ? twoCalls : oneBatch;
                p.guidanceBatching(k == 0 ? GuidanceBatching.TWO_CALLS : GuidanceBatching.ONE_BATCH);
                results[k] = p.run(image, settings, given, new ProgressListener() {
                    @Override
                    public void stepEnd(int step, Tensor latents) {
                        steps.add(latents.toFloats());
                    }
                }, new Cancellation());
            }
        }
        assertEquals(2, oneBatch.size());
        for (int i = 0; i < 2; i++) {
            double d = 0;
            double ref = 0;
            for (int k = 0; k < twoCalls.get(i).length; k++) {
                d = Math.max(d, Math.abs(twoCalls.get(i)[k] - oneBatch.get(i)[k]));
                ref = Math.max(ref, Math.abs(twoCalls.get(i)[k]));
            }
            System.out.printf("step %d latents, one batch vs two calls: max abs diff %.3g (max |latent| %.3g)%n",
                    i + 1, d, ref);
            // float32 rounding: the batch of two runs other GEMM blockings and the masked attention kernel
            assertTrue(d <= 4e-6 * ref, "step " + (i + 1) + " latents differ by " + d);
        }
        int levels = LayerDifference.of(results[0].stack().layers(), results[1].stack().layers()).max();
        System.out.println("layers, one batch vs two calls: at most " + levels + " of 255 apart");
        assertTrue(levels <= 1, "layers differ by " + levels + " levels");
    }

}
