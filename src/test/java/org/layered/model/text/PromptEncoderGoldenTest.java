package org.layered.model.text;

import org.junit.jupiter.api.Test;
import org.layered.engine.ComputeDevice;
import org.layered.engine.DType;
import org.layered.engine.Precision;
import org.layered.engine.TensorScope;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pipeline's prompt encoding (case 4a "pipeline.*"): real tokenizer, tiny random model with the golden id map.
 */
class PromptEncoderGoldenTest {
    static final String FOX = "A red fox sitting in the snow, looking at the camera, soft morning light.";
    static final int DIM = 64;

    static PromptEncoder encoder(PromptEncoder.Options options) throws IOException {
        return PromptEncoder.open(TextGolden.textEncoderDir(), TextGolden.realTokenizer(), options);
    }

    static PromptEncoder.Options tiny() {
        return PromptEncoder.Options.defaults(ComputeDevice.CPU).withPrecision(Precision.FLOAT32)
                .withTokenIdMap(TextGolden::tinyId);
    }

    /** Rows [0, n) of row b of a (B, L, 64) golden. */
    static float[] goldenRows(String name, int b, int n) {
        TextGolden.Tensor g = TextGolden.forward(name);
        int l = (int) g.shape()[1];
        return Arrays.copyOfRange(g.values(), b * l * DIM, (b * l + n) * DIM);
    }

    @Test
    void paddedBatchMatchesGetQwenPromptEmbedsAndEncodePrompt() throws IOException {
        try (PromptEncoder enc = encoder(tiny()); TensorScope s = TensorScope.open()) {
            PromptEmbeds e = enc.encode(List.of(FOX, " "), PromptTemplate.MAX_SEQUENCE_LENGTH_LIMIT);
            assertArrayEquals(new long[] {2, 22, DIM}, e.embeds().shape());
            assertEquals(DType.F32, e.embeds().dtype());
            assertArrayEquals(new int[] {22, 6}, e.lengths());
            assertNotNull(e.mask());
            assertArrayEquals(TextGolden.forward("pipeline.encode_prompt_batch.mask").longs(), e.mask().toLongs());
            assertArrayEquals(TextGolden.forward("pipeline.encoder_attention_mask").longs(), e.mask().toLongs());
            float[] got = e.embeds().toFloats();
            double d1 = TextGolden.maxAbsDiff(got,
                    TextGolden.forward("pipeline.encode_prompt_batch.prompt_embeds").values());
            double d2 = TextGolden.maxAbsDiff(got, TextGolden.forward("pipeline.prompt_embeds").values());
            System.out.printf("prompt embeds (padded batch of 2), max |diff|: encode_prompt %.3g, "
                    + "_get_qwen_prompt_embeds %.3g%n", d1, d2);
            assertTrue(d1 <= TextGolden.TOL, "encode_prompt_batch differs by " + d1);
            assertTrue(d2 <= TextGolden.TOL, "prompt_embeds differs by " + d2);
            // padded positions are exact zeros
            for (int i = 6 * DIM; i < 22 * DIM; i++) {
                assertEquals(0f, got[22 * DIM + i]);
            }
            assertEquals(1, enc.forwardPasses());
        }
    }

    @Test
    void singlePromptHasNoMaskAndMatches() throws IOException {
        try (PromptEncoder enc = encoder(tiny()); TensorScope s = TensorScope.open()) {
            PromptEmbeds e = enc.encode(FOX, PromptTemplate.MAX_SEQUENCE_LENGTH_LIMIT);
            assertNull(e.mask());
            assertFalse(e.hasMask());
            assertArrayEquals(new long[] {1, 22, DIM}, e.embeds().shape());
            double d = TextGolden.maxAbsDiff(e.embeds().toFloats(),
                    TextGolden.forward("pipeline.encode_prompt_single.prompt_embeds").values());
            System.out.printf("prompt embeds (single prompt), max |diff| %.3g%n", d);
            assertTrue(d <= TextGolden.TOL, "encode_prompt_single differs by " + d);
        }
    }

    @Test
    void promptAndNegativeAreEncodedSeparatelyInOnePassAndCached() throws IOException {
        try (PromptEncoder enc = encoder(tiny()); TensorScope s = TensorScope.open()) {
            assertFalse(enc.isModelLoaded());
            List<PromptEmbeds> both = enc.encodeEach(List.of(FOX, " "), 512);
            assertEquals(1, enc.forwardPasses());
            assertEquals(1, enc.modelLoads());
            assertTrue(enc.isModelLoaded());
            assertNull(both.get(0).mask());
            assertNull(both.get(1).mask());
            assertArrayEquals(new long[] {1, 6, DIM}, both.get(1).embeds().shape());
            assertTrue(TextGolden.maxAbsDiff(both.get(0).embeds().toFloats(), goldenRows("pipeline.prompt_embeds",
                    0, 22)) <= TextGolden.TOL);
            assertTrue(TextGolden.maxAbsDiff(both.get(1).embeds().toFloats(), goldenRows("pipeline.prompt_embeds",
                    1, 6)) <= TextGolden.TOL);

            enc.releaseModel();
            assertFalse(enc.isModelLoaded());
            assertTrue(enc.isCached(FOX) && enc.isCached(" "));
            PromptEmbeds again = enc.encode(" ");
            assertEquals(1, enc.forwardPasses());
            assertFalse(enc.isModelLoaded()); // served from the cache without loading
            assertEquals(0.0, TextGolden.maxAbsDiff(again.embeds().toFloats(), both.get(1).embeds().toFloats()));
            // a batch of cached prompts needs no pass either
            PromptEmbeds batch = enc.encode(List.of(FOX, " "), 512);
            assertEquals(1, enc.forwardPasses());
            assertArrayEquals(TextGolden.forward("pipeline.encoder_attention_mask").longs(), batch.mask().toLongs());

            enc.releaseModel(); // nothing loaded: nothing happens
            enc.encode("a new prompt");
            assertEquals(2, enc.forwardPasses());
            assertEquals(2, enc.modelLoads());
            assertTrue(enc.isModelLoaded());
            enc.releaseModel();
            assertFalse(enc.isModelLoaded());
        }
    }

    @Test
    void maxSequenceLengthCutsAfterTheDropAndDropsAnAllOnesMask() throws IOException {
        try (PromptEncoder enc = encoder(tiny()); TensorScope s = TensorScope.open()) {
            PromptEmbeds ten = enc.encode(List.of(FOX, " "), 10);
            assertArrayEquals(new long[] {2, 10, DIM}, ten.embeds().shape());
            assertArrayEquals(new int[] {10, 6}, ten.lengths());
            assertNotNull(ten.mask());
            float[] got = ten.embeds().toFloats();
            assertTrue(TextGolden.maxAbsDiff(Arrays.copyOfRange(got, 0, 10 * DIM),
                    goldenRows("pipeline.prompt_embeds", 0, 10)) <= TextGolden.TOL);

            // both rows reach the cut: the mask is all ones and becomes null
            PromptEmbeds five = enc.encode(List.of(FOX, " "), 5);
            assertArrayEquals(new long[] {2, 5, DIM}, five.embeds().shape());
            assertNull(five.mask());
            assertEquals(1, enc.forwardPasses()); // FOX was cut at 10 >= 5 rows, " " is complete

            // the longer request recomputes the prompt that was cut before
            PromptEmbeds full = enc.encode(FOX, 1024);
            assertEquals(2, enc.forwardPasses());
            assertArrayEquals(new long[] {1, 22, DIM}, full.embeds().shape());
            assertTrue(TextGolden.maxAbsDiff(full.embeds().toFloats(), goldenRows("pipeline.prompt_embeds", 0, 22))
                    <= TextGolden.TOL);
            assertThrows(IllegalArgumentException.class, () -> enc.encode(FOX, 1025));
            assertThrows(IllegalArgumentException.class, () -> enc.encode(List.of(), 512));
        }
    }

    @Test
    void numImagesPerPromptRepeatsEachRow() throws IOException {
        try (PromptEncoder enc = encoder(tiny()); TensorScope s = TensorScope.open()) {
            PromptEmbeds e = enc.encode(List.of(FOX, " "), 512, 2);
            assertArrayEquals(new long[] {4, 22, DIM}, e.embeds().shape());
            assertArrayEquals(new int[] {22, 22, 6, 6}, e.lengths());
            float[] got = e.embeds().toFloats();
            int row = 22 * DIM;
            assertArrayEquals(Arrays.copyOfRange(got, 0, row), Arrays.copyOfRange(got, row, 2 * row));
            assertArrayEquals(Arrays.copyOfRange(got, 2 * row, 3 * row), Arrays.copyOfRange(got, 3 * row, 4 * row));
        }
    }

    @Test
    void releaseAfterEncodeFreesTheModelEachTime() throws IOException {
        try (PromptEncoder enc = encoder(tiny().withReleaseAfterEncode(true)); TensorScope s = TensorScope.open()) {
            enc.encode(FOX);
            assertFalse(enc.isModelLoaded());
            enc.encode("another");
            assertEquals(2, enc.modelLoads());
            assertEquals(64, enc.config().hiddenSize());
        }
    }

    /** bf16 compute (as upstream runs the encoder) against the float32 goldens: reported, loosely bounded. */
    @Test
    void bf16ErrorVsFloat32IsReported() throws IOException {
        try (PromptEncoder enc = encoder(tiny().withPrecision(Precision.BFLOAT16));
                TensorScope s = TensorScope.open()) {
            PromptEmbeds e = enc.encode(List.of(FOX, " "), 1024);
            assertEquals(DType.BF16, e.embeds().dtype());
            float[] got = e.embeds().toFloats();
            float[] ref = TextGolden.forward("pipeline.prompt_embeds").values();
            double max = TextGolden.maxAbsDiff(got, ref);
            double refMax = 0;
            double sq = 0;
            for (int i = 0; i < ref.length; i++) {
                refMax = Math.max(refMax, Math.abs(ref[i]));
                sq += (got[i] - ref[i]) * (double) (got[i] - ref[i]);
            }
            System.out.printf("bf16 prompt embeds vs float32 golden: max |diff| %.4g (max |value| %.3g), "
                    + "rms diff %.4g%n", max, refMax, Math.sqrt(sq / ref.length));
            assertTrue(max < 0.1 * refMax, "bf16 error " + max + " is beyond bf16 rounding");
        }
    }
}
