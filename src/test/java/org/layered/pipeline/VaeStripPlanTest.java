package org.layered.pipeline;

import org.layered.engine.Cancellation;
import org.layered.engine.ComputeDevice;
import org.layered.engine.DeviceSpec;
import org.layered.engine.Precision;
import org.layered.engine.TensorScope;
import org.layered.store.ModelDescriptor;
import org.layered.testing.TinyModel;
import org.layered.weights.residency.MemoryPlan.Verdict;
import org.layered.weights.residency.WeightFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The plan sizes the VAE's row strips per stage, and the pipeline runs the VAE with them. */
class VaeStripPlanTest {
    private static final long GIB = 1L << 30;

    @TempDir
    Path dir;

    @Test
    void wholeFramesWithAmpleMemoryStripsUnderATightCap() throws Exception {
        ModelDescriptor d = ModelDescriptor.builtins().get(0);
        DecompositionPlanner.ModelConfigs released = DecompositionPlanner.ModelConfigs.of(
                d.component("transformer").orElseThrow().config(), d.component("vae").orElseThrow().config(),
                d.component("text_encoder").orElseThrow().config(), d.repo());
        DecompositionPlan ample = capped(released, 80 * 16);
        assertEquals(Long.MAX_VALUE, ample.encodeStripBytes(), text(ample));
        assertEquals(Long.MAX_VALUE, ample.decodeStripBytes(), text(ample));
        assertTrue(text(ample).contains("VAE convolutions: whole frames when encoding, whole frames when decoding"),
                text(ample));
        assertEquals("whole frames", ample.toJson().get("vae_decode").getAsString());
        // the smallest cap (to 1/16 GiB) at which the text encoder stays loaded for the next run: there the layers'
        // decoding beside all weights fits only in strips (the bf16 VAE's float32 norm temporaries at 1024 px)
        long lo = 16 * 16;
        long hi = 80 * 16;
        while (hi - lo > 1) {
            long mid = (lo + hi) / 2;
            if (capped(released, mid).keepTextEncoder()) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        DecompositionPlan tight = capped(released, hi);
        assertTrue(tight.keepTextEncoder(), text(tight));
        assertEquals(Long.MAX_VALUE, tight.encodeStripBytes(), "encoding fits in whole frames: " + text(tight));
        assertTrue(tight.decodeStripBytes() < Long.MAX_VALUE, text(tight));
        assertEquals(Verdict.FITS, tight.plan().verdict(), text(tight));
        DecompositionPlan whole = DecompositionPlanner.plan(released, request(hi), CARD, true,
                tight.batchedGuidance(), Long.MAX_VALUE, Long.MAX_VALUE);
        assertNotEquals(Verdict.FITS, whole.plan().verdict(), "whole frames would not fit: " + text(whole));
        String strips = "row strips of " + (tight.decodeStripBytes() >> 20) + " MiB";
        assertTrue(text(tight).contains(strips + " when decoding"), text(tight));
        assertEquals(strips, tight.toJson().get("vae_decode").getAsString());
    }

    @Test
    void thePipelineRunsTheVaeWithThePlannedStrips() throws IOException {
        Path model = TinyModel.build(dir.resolve("tiny"), 7);
        DecomposeSettings s = DecomposePipelineTest.settings(1, 1);
        DecompositionPlan plan = DecompositionPlanner.plan(DecompositionPlanner.ModelConfigs.of(
                org.layered.weights.config.ModelIndex.read(model)), DecompositionPlanner.Request.of(s, 90, 70, true,
                WeightFormat.BF16, MemoryMode.AUTO, null), new DecompositionPlanner.Machine("cpu", false, 0, 0,
                64 * GIB));
        assertEquals(Long.MAX_VALUE, plan.decodeStripBytes(), "the tiny model's frames fit whole");
        try (DecomposePipeline p = DecomposePipeline.open(model, ComputeDevice.CPU, Precision.FLOAT32, plan, null);
             TensorScope scope = TensorScope.open()) {
            assertNotEquals(Long.MAX_VALUE, p.vae().stripBudgetBytes(), "strips by default");
            p.run(TinyModel.image(90, 70), s, DecomposePipelineTest.embeddings(5), ProgressListener.NONE,
                    new Cancellation());
            assertEquals(plan.decodeStripBytes(), p.vae().stripBudgetBytes(), "the plan's choice");
        }
    }

    private static final DecompositionPlanner.Machine CARD = new DecompositionPlanner.Machine("cuda:0 (test card)",
            true, 96 * GIB, 96 * GIB, 128 * GIB);

    /** The default run at 1024 px (4 layers, CFG) on a 96 GiB card capped at {@code sixteenths} / 16 GiB. */
    private static DecompositionPlan capped(DecompositionPlanner.ModelConfigs model, long sixteenths) {
        return DecompositionPlanner.planOnly(model, request(sixteenths), CARD);
    }

    private static DecompositionPlanner.Request request(long sixteenths) {
        DecomposeSettings s = new DecomposeSettings(4, 1024, 50, 4.0, true, 1L, null, " ", DeviceSpec.CPU);
        return DecompositionPlanner.Request.of(s, 1024, 1024, false, WeightFormat.BF16, MemoryMode.AUTO,
                sixteenths * GIB / 16);
    }

    private static String text(DecompositionPlan p) {
        return String.join("\n", p.lines());
    }
}
