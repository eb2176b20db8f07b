package org.layered.pipeline;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.layered.engine.DType;
import org.layered.model.text.CaptionPrompt;
import org.layered.model.text.QwenTokenizer;
import org.layered.model.text.TextEncoderMemory;
import org.layered.model.transformer.TransformerLayout;
import org.layered.model.vae.VaeLayout;
import org.layered.store.ModelDescriptor;
import org.layered.weights.residency.GroupSize;
import org.layered.weights.residency.MemoryPlan;
import org.layered.weights.residency.MemoryPlan.Verdict;
import org.layered.weights.residency.WeightFormat;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The planner on the released model, sized from the configs the descriptor in {@code models/} records (what
 * {@code layered plan} uses before the model is downloaded): sizes as the model spec computes them (§13), and the
 * verdicts for the cards people own.
 */
class DecompositionPlannerTest {
    private static final long GIB = 1L << 30;
    private static ModelDescriptor descriptor;
    private static DecompositionPlanner.ModelConfigs released;

    @BeforeAll
    static void configs() throws Exception {
        descriptor = ModelDescriptor.builtins().get(0);
        released = DecompositionPlanner.ModelConfigs.of(descriptor.component("transformer").orElseThrow().config(),
                descriptor.component("vae").orElseThrow().config(),
                descriptor.component("text_encoder").orElseThrow().config(), descriptor.repo());
    }

    private static DecompositionPlan plan(DecomposeSettings s, WeightFormat w, long gib, Long cap) {
        return DecompositionPlanner.plan(released, DecompositionPlanner.Request.of(s, 640, 640, false, w,
                MemoryMode.AUTO, cap), new DecompositionPlanner.Machine("cuda:0 (test card)", true, gib * GIB,
                gib * GIB, 128 * GIB));
    }

    private static String text(DecompositionPlan p) {
        return String.join("\n", p.lines());
    }

    @Test
    void releasedSizesAgreeWithTheModelSpec() {
        long transformer = TransformerLayout.parameterCount(released.transformer());
        assertEquals(20_430_407_232L, transformer, "§13.1");
        assertEquals(descriptor.component("transformer").orElseThrow().bytes(), 2 * transformer);
        long fp8 = DecompositionPlanner.transformerGroups(released.transformer()).stream()
                .mapToLong(g -> g.heldBytes(DType.BF16, WeightFormat.FP8)).sum();
        assertEquals(20.5e9, fp8, 0.1e9, "float8 halves the transformer: about 20.5 GB");
        assertEquals(126_897_716L, VaeLayout.parameterCount(released.vae()));
        long embed = (long) released.textEncoder().text().vocabSize() * released.textEncoder().text().hiddenSize();
        long text = embed + TextEncoderMemory.captionGroups(released.textEncoder()).stream()
                .mapToLong(GroupSize::elements).sum();
        assertEquals(8.29e9, text, 0.01e9, "§13.1: about 8.29 B (7.62 B language model + 0.68 B vision)");
    }

    @Test
    void theCaptionInstructionHasTheTokensThePlanCounts() throws Exception {
        try (QwenTokenizer tok = QwenTokenizer.load(java.nio.file.Path.of("src/test/resources/golden/tokenizer"))) {
            // the image pad stands for the image tokens, counted apart
            assertEquals(DecompositionPlanner.CAPTION_PROMPT_TOKENS, tok.encode(CaptionPrompt.ENGLISH).length - 1);
        }
    }

    @Test
    void fp8At640WithFourLayersFitsA24GbCard() {
        DecompositionPlan p = plan(DecomposeSettings.defaults(), WeightFormat.FP8, 24, null);
        Verdict v = p.plan().verdict();
        assertTrue(v == Verdict.FITS || v == Verdict.FITS_WITH_STREAMING, text(p));
        assertFalse(p.keepTextEncoder(), "the text encoder leaves the device before denoising: " + text(p));
        assertTrue(p.plan().devicePeak() <= p.plan().budget().deviceBytes());
        assertTrue(p.verdictLine().startsWith("verdict: fits"), p.verdictLine());
    }

    @Test
    void bf16OnA24GbCardDoesNotFitResident() {
        DecompositionPlan p = plan(DecomposeSettings.defaults(), WeightFormat.BF16, 24, null);
        assertEquals(Verdict.FITS_WITH_STREAMING, p.plan().verdict(), text(p));
        MemoryPlan.Placement t = p.plan().placements().get(DecompositionPlanner.TRANSFORMER);
        assertFalse(t.resident());
        assertTrue(t.hostGroups() > 0 && t.fileGroups() == 0, "streamed from pinned host memory: " + text(p));
        MemoryPlan.StagePlan denoise = p.plan().stage(DecompositionPlanner.DENOISE);
        assertEquals(2 * t.hostBytes(), denoise.hostMoved() * denoise.passes(), "each CFG pass copies them once");
        assertTrue(p.verdictLine().matches("verdict: fits with streaming \\(transformer: \\d+ of 62 groups streamed, "
                + "[0-9.]+ GB per denoising step, about [0-9.]+ s per step at 25 GB/s PCIe\\)"), p.verdictLine());
    }

    @Test
    void everythingFitsOnAn80GbCardAndTheTextEncoderStays() {
        DecompositionPlan p = plan(DecomposeSettings.defaults(), WeightFormat.BF16, 80, null);
        assertEquals(Verdict.FITS, p.plan().verdict(), text(p));
        assertEquals("verdict: fits", p.verdictLine());
        assertTrue(p.keepTextEncoder(), text(p));
        assertTrue(p.plan().placements().get(DecompositionPlanner.TRANSFORMER).resident());
        assertEquals(40.86e9, p.plan().placements().get(DecompositionPlanner.TRANSFORMER).deviceBytes(), 0.01e9);
    }

    @Test
    void guidanceRunsAsOneBatchOnlyWhereTheDoubledActivationsFit() {
        DecompositionPlan roomy = plan(DecomposeSettings.defaults(), WeightFormat.BF16, 80, null);
        assertTrue(roomy.batchedGuidance(), text(roomy));
        assertEquals(1, roomy.plan().stage(DecompositionPlanner.DENOISE).passes(), "one transformer pass per step");
        assertTrue(text(roomy).contains("CFG (both branches as one batch of two per step)"), text(roomy));
        // the smallest VRAM cap (to 1/64 GiB) at which both branches run as one batch
        long lo = 1;
        long hi = 80 * 64;
        while (hi - lo > 1) {
            long mid = (lo + hi) / 2;
            if (capped(mid).batchedGuidance()) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        DecompositionPlan below = capped(lo);
        DecompositionPlan at = capped(hi);
        assertTrue(at.batchedGuidance() && !below.batchedGuidance(), text(below));
        // just below it two calls still run with the same weights on the device: only the activations did not fit
        assertNotEquals(Verdict.DOES_NOT_FIT, below.plan().verdict(), text(below));
        assertEquals(at.plan().placements(), below.plan().placements(), text(below));
        assertEquals(2, below.plan().stage(DecompositionPlanner.DENOISE).passes());
        assertTrue(below.plan().stage(DecompositionPlanner.DENOISE).devicePeak()
                < at.plan().stage(DecompositionPlanner.DENOISE).devicePeak(), "one batch holds more activations");
    }

    /** The default run planned on an 80 GiB card capped at {@code sixtyFourths} / 64 GiB (no suggestion search). */
    private static DecompositionPlan capped(long sixtyFourths) {
        return DecompositionPlanner.planOnly(released, DecompositionPlanner.Request.of(DecomposeSettings.defaults(),
                640, 640, false, WeightFormat.BF16, MemoryMode.AUTO, sixtyFourths * GIB / 64),
                new DecompositionPlanner.Machine("cuda:0 (test card)", true, 80 * GIB, 80 * GIB, 128 * GIB));
    }

    @Test
    void aCapPlansAsIfTheCardWereThatSmall() {
        DecompositionPlan capped = plan(DecomposeSettings.defaults(), WeightFormat.BF16, 80, 24 * GIB);
        DecompositionPlan small = plan(DecomposeSettings.defaults(), WeightFormat.BF16, 24, null);
        assertEquals(small.plan().placements(), capped.plan().placements());
        assertTrue(text(capped).contains("capped at 25.77 GB"), text(capped));
    }

    @Test
    void whatDoesNotFitNamesTheNearestSettingThatDoes() {
        DecomposeSettings big = DecomposeSettings.defaults().withResolution(1024).withLayers(10);
        DecompositionPlan p = plan(big, WeightFormat.BF16, 3, null);
        assertEquals(Verdict.DOES_NOT_FIT, p.plan().verdict(), text(p));
        String line = p.verdictLine();
        assertTrue(line.startsWith("verdict: does not fit (denoising needs "), line);
        assertTrue(line.contains("the nearest setting that does: --weights fp8"), line);
        // the suggestion itself fits
        String flags = line.substring(line.indexOf("does: ") + 6, line.indexOf(" (fits"));
        DecomposeSettings s = big;
        if (flags.contains("--layers")) {
            s = s.withLayers(Integer.parseInt(flags.replaceAll(".*--layers (\\d+).*", "$1")));
        }
        if (flags.contains("--resolution 640")) {
            s = s.withResolution(640);
        }
        assertNotEquals(Verdict.DOES_NOT_FIT, plan(s, WeightFormat.FP8, 3, null).plan().verdict(), flags);
        DecompositionPlan none = plan(DecomposeSettings.defaults().withLayers(1), WeightFormat.FP8, 1, null);
        assertTrue(none.verdictLine().endsWith("no setting of this model fits this memory)"), none.verdictLine());
    }

    @Test
    void plansForTheCpuUseHostMemoryAndTheFile() {
        DecompositionPlan p = DecompositionPlanner.plan(released, DecompositionPlanner.Request.of(
                DecomposeSettings.defaults(), 640, 640, false, WeightFormat.BF16, MemoryMode.AUTO, null),
                new DecompositionPlanner.Machine("cpu", false, 0, 0, 32 * GIB));
        assertEquals(Verdict.FITS_WITH_STREAMING, p.plan().verdict(), text(p));
        MemoryPlan.Placement t = p.plan().placements().get(DecompositionPlanner.TRANSFORMER);
        assertEquals(0, t.hostGroups(), "no host tier when the device is the host");
        assertTrue(t.deviceGroups() > 0 && t.fileGroups() > 0, text(p));
        assertTrue(p.plan().devicePeak() <= 30 * GIB);
        assertTrue(text(p).contains("GB/s disk"), text(p));
    }

    @Test
    void givenEmbeddingsNeedNoTextEncoderAndResidentModeHoldsEverything() {
        DecompositionPlan p = DecompositionPlanner.plan(released, DecompositionPlanner.Request.of(
                DecomposeSettings.defaults(), 640, 640, true, WeightFormat.BF16, MemoryMode.RESIDENT, null),
                new DecompositionPlanner.Machine("cuda:0 (test card)", true, 24 * GIB, 24 * GIB, 64 * GIB));
        assertEquals(List.of(DecompositionPlanner.ENCODE, DecompositionPlanner.DENOISE, DecompositionPlanner.DECODE),
                p.plan().stages().stream().map(MemoryPlan.StagePlan::name).toList());
        assertTrue(p.plan().placements().get(DecompositionPlanner.TRANSFORMER).resident());
        assertEquals(Verdict.DOES_NOT_FIT, p.plan().verdict(), "40.9 GB do not fit 24 GB resident: " + text(p));
        assertNotNull(p.toJson().get("stages"));
    }
}
