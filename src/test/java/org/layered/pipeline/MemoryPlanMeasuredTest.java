package org.layered.pipeline;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.layered.bench.PipelineBench;
import org.layered.engine.Cancellation;
import org.layered.engine.ComputeDevice;
import org.layered.engine.DeviceSpec;
import org.layered.engine.MemoryAccounting;
import org.layered.engine.Ops;
import org.layered.engine.Precision;
import org.layered.engine.TensorScope;
import org.layered.model.vae.VaeMemory;
import org.layered.testing.TinyModel;
import org.layered.weights.config.ModelIndex;
import org.layered.weights.residency.MemoryPlan;
import org.layered.weights.residency.WeightFormat;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The memory plan's predicted peaks against the peaks the engine's accounting measures, stage by stage, for a whole
 * CPU decomposition (704x576 RGBA, 2 layers, CFG, given embeddings) of the tiny model and of the larger random model
 * (whose VAE runs its full-resolution upsampling in row strips): within 10 %.
 */
class MemoryPlanMeasuredTest {
    private static final ComputeDevice CPU = ComputeDevice.CPU;

    @TempDir
    Path dir;

    @AfterEach
    void stop() {
        MemoryAccounting.stop();
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny", "larger"})
    void predictedStagePeaksMatchTheMeasuredOnes(String which) throws Exception {
        Path model = dir.resolve(which);
        int text;
        if (which.equals("tiny")) {
            TinyModel.build(model, 3);
            text = TinyModel.TEXT_DIM;
        } else {
            PipelineBench.buildLarger(model);
            text = 256;
        }
        DecomposeSettings settings = new DecomposeSettings(2, 640, 1, 4.0, true, 7L, null, " ", DeviceSpec.CPU);
        DecompositionPlanner.Request request = DecompositionPlanner.Request.of(settings, 704, 576, true,
                WeightFormat.BF16, MemoryMode.AUTO, null).withLoadedTransformer(false, 6, 4);
        DecompositionPlan plan = DecompositionPlanner.plan(
                DecompositionPlanner.ModelConfigs.of(ModelIndex.read(model)), request,
                new DecompositionPlanner.Machine("cpu", false, 0, 0, 64L << 30));
        assertEquals(MemoryPlan.Verdict.FITS, plan.plan().verdict(), String.join("\n", plan.lines()));

        MemoryAccounting.start();
        long base = MemoryAccounting.usage(CPU).live();
        Map<String, Long> measured = new LinkedHashMap<>();
        try (DecomposePipeline p = DecomposePipeline.open(model, CPU, Precision.FLOAT32, plan, null);
             TensorScope scope = TensorScope.open()) {
            // as the plan says: both guidance branches as one batch when the doubled activations fit
            p.guidanceBatching(plan.batchedGuidance() ? GuidanceBatching.ONE_BATCH : GuidanceBatching.TWO_CALLS);
            GivenInputs given = new GivenInputs(
                    new TextConditioning(Ops.seededNormal(1, new long[] {1, 6, text}, CPU), null),
                    new TextConditioning(Ops.seededNormal(2, new long[] {1, 4, text}, CPU), null), null);
            String[] current = {null};
            ProgressListener stages = new ProgressListener() {
                @Override
                public void stage(String name) {
                    if (current[0] != null) {
                        measured.put(current[0], MemoryAccounting.usage(CPU).peak() - base);
                    }
                    current[0] = name;
                    MemoryAccounting.resetPeaks();
                }
            };
            p.run(TinyModel.image(704, 576), settings, given, stages, new Cancellation());
        }
        StringBuilder report = new StringBuilder(which + " model, CPU float32, peak bytes predicted / measured:\n");
        boolean ok = true;
        for (String[] s : new String[][] {{DecompositionPlanner.ENCODE, "encode image"},
                {DecompositionPlanner.DENOISE, "denoise"}, {DecompositionPlanner.DECODE, "decode layers"}}) {
            // the engine's accounting does not see the convolutions' workspace the plan adds to the VAE's stages
            long predicted = plan.plan().stage(s[0]).devicePeak() - (s[0].equals(DecompositionPlanner.DENOISE) ? 0
                    : VaeMemory.CONVOLUTION_WORKSPACE);
            long actual = measured.get(s[1]);
            double ratio = predicted / (double) actual;
            ok &= Math.abs(ratio - 1) <= 0.10;
            report.append(String.format(Locale.ROOT, "  %-12s %,14d / %,14d  (%.4f)%n", s[0], predicted, actual,
                    ratio));
        }
        System.out.print(report);
        assertTrue(ok, report.toString());
    }
}
