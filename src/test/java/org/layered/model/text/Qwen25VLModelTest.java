package org.layered.model.text;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.layered.engine.ComputeDevice;
import org.layered.engine.Precision;
import org.layered.engine.Tensor;
import org.layered.engine.TensorScope;
import org.layered.image.RgbaImage;
import org.layered.model.text.vision.ImageProcessorConfig;
import org.layered.model.text.vision.QwenImageProcessor;
import org.layered.weights.residency.ResidencyPolicy;
import org.layered.weights.safetensors.SafetensorsFile;
import org.layered.weights.safetensors.TensorInfo;
import org.layered.weights.safetensors.TensorValues;

import java.io.IOException;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The multimodal forward (M-RoPE positions, image embeddings in place of {@code <|image_pad|>}) and greedy
 * generation with a KV cache on the tiny random Qwen2.5-VL (float32 CPU). The exact token goldens are checked
 * elsewhere; here: the text path against its golden, and the cached decoding against full forward passes.
 */
class Qwen25VLModelTest {
    private static Qwen25VLModel model;

    @BeforeAll
    static void open() throws IOException {
        model = Qwen25VLModel.open(TextGolden.textEncoderDir(), ComputeDevice.CPU, Precision.FLOAT32,
                ResidencyPolicy.resident());
    }

    @AfterAll
    static void close() throws IOException {
        if (model != null) {
            model.close();
        }
    }

    /** The caption prompt (English) for the golden's 150x181 RGBA image, in tiny ids: 250 tokens, 30 image pads. */
    static Qwen25VLModel.Input captionInput() throws IOException {
        RgbaImage image;
        try (SafetensorsFile f = SafetensorsFile.open(TextGolden.textEncoderDir()
                .resolve("image_processor.safetensors"))) {
            TensorInfo t = f.info("img_b.input_u8");
            long[] px = TensorValues.toLongs(t, f.data(t.name()));
            byte[] b = new byte[px.length];
            for (int i = 0; i < b.length; i++) {
                b[i] = (byte) px[i];
            }
            image = new RgbaImage((int) t.shape()[1], (int) t.shape()[0], b);
        }
        QwenImageProcessor.Processed p = new QwenImageProcessor(ImageProcessorConfig.qwen25Vl()).process(image);
        long[] ids = TextGolden.realTokenizer().encode(CaptionPrompt.expand(CaptionPrompt.ENGLISH,
                p.mergedTokens()));
        for (int i = 0; i < ids.length; i++) {
            ids[i] = TextGolden.tinyId(ids[i]);
        }
        return new Qwen25VLModel.Input(ids, p.pixelValues(), new long[][] {p.gridThw()});
    }

    @Test
    void configHasTheSpecialIds() {
        Qwen25VLConfig c = model.config();
        assertEquals(502, c.imageTokenId());
        assertEquals(503, c.videoTokenId());
        assertEquals(499, c.visionStartTokenId());
        assertEquals(500, c.visionEndTokenId());
        assertTrue(model.language().hasLmHead());
    }

    @Test
    void textPositionsAndDeltasMatchGolden() {
        long[][] ids = TextGolden.longRows("input_ids");
        long[][] m = TextGolden.longRows("attention_mask");
        boolean[][] mask = new boolean[m.length][m[0].length];
        for (int i = 0; i < m.length; i++) {
            for (int j = 0; j < m[i].length; j++) {
                mask[i][j] = m[i][j] == 1;
            }
        }
        RopeIndex r = RopeIndex.compute(ids, mask, null, null, null, model.config());
        long[] flat = Arrays.stream(r.positions()).flatMap(Arrays::stream).flatMapToLong(Arrays::stream).toArray();
        assertArrayEquals(TextGolden.forward("position_ids").longs(), flat);
        assertArrayEquals(TextGolden.forward("rope_deltas").longs(), r.deltas());
        // the multimodal branch gives the same for rows without images
        RopeIndex r2 = RopeIndex.compute(ids, mask, new long[0][], null, null, model.config());
        assertArrayEquals(flat, Arrays.stream(r2.positions()).flatMap(Arrays::stream)
                .flatMapToLong(Arrays::stream).toArray());
        assertArrayEquals(r.deltas(), r2.deltas());
    }

    @Test
    void imagePositions() throws IOException {
        Qwen25VLModel.Input in = captionInput();
        long[] ids = in.inputIds();
        assertEquals(250, ids.length);
        RopeIndex r = model.ropeIndex(in);
        int first = -1;
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] == 502) {
                first = i;
                break;
            }
        }
        assertEquals(499, ids[first - 1]);
        long[][][] p = r.positions();
        for (int i = 0; i < first; i++) { // text before the image: 0, 1, 2, ...
            for (int a = 0; a < 3; a++) {
                assertEquals(i, p[a][0][i]);
            }
        }
        // grid (1, 10, 12) merged to 5 x 6: t = s, h = s + row, w = s + col
        for (int k = 0; k < 30; k++) {
            assertEquals(first, p[0][0][first + k]);
            assertEquals(first + k / 6, p[1][0][first + k]);
            assertEquals(first + k % 6, p[2][0][first + k]);
        }
        long next = first + 6; // max(h, w) + 1 = first + 5 + 1
        for (int i = first + 30; i < ids.length; i++) {
            for (int a = 0; a < 3; a++) {
                assertEquals(next + (i - first - 30), p[a][0][i]);
            }
        }
        assertEquals(next + (ids.length - first - 30) - ids.length, r.deltas()[0]); // = 6 - 30 = -24
        assertEquals(-24, r.deltas()[0]);
    }

    @Test
    void cachedTextForwardMatchesGolden() throws IOException {
        long[] ids = TextGolden.longRows("input_ids")[0]; // 56 valid tokens, no padding
        TextGolden.Tensor g = TextGolden.forward("last_hidden_state");
        float[] want = Arrays.copyOf(g.values(), 56 * 64);
        try (TensorScope s = TensorScope.open()) {
            Tensor h = model.forward(Qwen25VLModel.Input.text(ids), null, null, TextForwardObserver.NONE);
            double d = TextGolden.maxAbsDiff(h.toFloats(), want);
            System.out.printf("cached forward, text row 0 vs golden last_hidden_state: max |diff| %.3g%n", d);
            assertTrue(d <= TextGolden.TOL, "max diff " + d);
        }
    }

    @Test
    void imageTokenCountMustMatch() throws IOException {
        Qwen25VLModel.Input in = captionInput();
        long[] ids = Arrays.copyOf(in.inputIds(), in.inputIds().length + 1);
        ids[ids.length - 1] = 502;
        try (TensorScope s = TensorScope.open()) {
            Qwen25VLModel.Input bad = new Qwen25VLModel.Input(ids, in.pixelValues(), in.imageGrids());
            assertThrows(IllegalArgumentException.class, () -> model.forward(bad, null, null,
                    TextForwardObserver.NONE));
        }
    }

    /**
     * 20 greedy tokens with the tiny generation config (do_sample with temperature 1e-6 = argmax, repetition
     * penalty 1.05): each token must be the argmax of the penalised logits that a full multimodal forward pass (no
     * cache) gives at the position before it.
     */
    @Test
    void greedyGenerationMatchesFullForwardPasses() throws IOException {
        GenerationConfig gen = GenerationConfig.read(TextGolden.textEncoderDir(), model.config().eosTokenId());
        assertTrue(gen.isGreedy());
        Qwen25VLModel.Input in = captionInput();
        long start = System.nanoTime();
        // no stop id, so exactly 20 tokens come out
        GenerationConfig noStop = gen.withEosTokenIds(new long[0]);
        long[] out = model.generate(in, noStop, 20, Qwen25VLModel.TokenListener.NONE, null, null);
        double seconds = (System.nanoTime() - start) / 1e9;
        assertEquals(20, out.length);
        System.out.printf("tiny greedy generation (%d prompt tokens, 30 image tokens): %s in %.2f s%n",
                in.inputIds().length, Arrays.toString(out), seconds);

        // one causal forward pass over prompt + the 20 tokens gives every step's full-pass logits
        int l0 = in.inputIds().length;
        long[] all = Arrays.copyOf(in.inputIds(), l0 + out.length);
        System.arraycopy(out, 0, all, l0, out.length);
        float[] logits;
        try (TensorScope s = TensorScope.open()) {
            Tensor h = model.forward(new Qwen25VLModel.Input(all, in.pixelValues(), in.imageGrids()), null, null,
                    TextForwardObserver.NONE);
            logits = model.language().logits(h.slice(1, l0 - 1, l0 - 1 + out.length)).toFloats();
        }
        boolean[] seen = new boolean[512];
        for (long id : in.inputIds()) {
            seen[(int) id] = true;
        }
        double minGap = Double.MAX_VALUE;
        for (int step = 0; step < out.length; step++) {
            float[] full = Arrays.copyOfRange(logits, step * 512, (step + 1) * 512);
            NextToken.applyRepetitionPenalty(full, seen, gen.repetitionPenalty());
            float[] sorted = full.clone();
            Arrays.sort(sorted);
            minGap = Math.min(minGap, sorted[sorted.length - 1] - sorted[sorted.length - 2]);
            assertEquals(NextToken.argmax(full), out[step], "token " + step);
            seen[(int) out[step]] = true;
        }
        System.out.printf("  smallest top-1 / top-2 logit gap over the 20 steps: %.3g%n", minGap);
        // deterministic
        long[] again = model.generate(in, noStop, 20, Qwen25VLModel.TokenListener.NONE, null, null);
        assertArrayEquals(out, again);
    }

    @Test
    void cachedLogitsEqualFullForwardLogits() throws IOException {
        Qwen25VLModel.Input in = captionInput();
        long[] extra = {17, 300, 45, 492};
        int l0 = in.inputIds().length;
        double worst = 0;
        try (TensorScope s = TensorScope.open(); KvCache cache = model.newCache()) {
            long[] all = Arrays.copyOf(in.inputIds(), l0 + extra.length);
            System.arraycopy(extra, 0, all, l0, extra.length);
            Tensor hf = model.forward(new Qwen25VLModel.Input(all, in.pixelValues(), in.imageGrids()), null, null,
                    TextForwardObserver.NONE);
            float[] full = model.language().logits(hf.slice(1, l0, l0 + extra.length)).toFloats();

            model.forward(in, cache, null, TextForwardObserver.NONE);
            RopeIndex rope = model.ropeIndex(in);
            for (int i = 0; i < extra.length; i++) {
                Tensor e = model.language().embedTokens(new long[] {extra[i]}).reshape(1, 1, 64);
                Tensor h = model.language().forwardCached(e, rope.decodePositions(0, cache.length(), 1), cache, null,
                        TextForwardObserver.NONE);
                float[] cached = model.language().logits(h).toFloats();
                worst = Math.max(worst, TextGolden.maxAbsDiff(cached,
                        Arrays.copyOfRange(full, i * 512, (i + 1) * 512)));
            }
            assertEquals(l0 + extra.length, cache.length());
        }
        System.out.printf("KV-cached decode logits vs full multimodal forward: max |diff| %.3g%n", worst);
        assertTrue(worst <= 1e-5, "max diff " + worst);
    }

    @Test
    void generationStopsAtEos() throws IOException {
        Qwen25VLModel.Input in = captionInput();
        GenerationConfig gen = GenerationConfig.read(TextGolden.textEncoderDir(), 492);
        long[] first = model.generate(in, gen.withEosTokenIds(new long[0]), 3, Qwen25VLModel.TokenListener.NONE,
                null, null);
        long[] stopped = model.generate(in, gen.withEosTokenIds(new long[] {first[1]}), 10,
                Qwen25VLModel.TokenListener.NONE, null, null);
        assertArrayEquals(Arrays.copyOf(first, 2), stopped);
        assertEquals(0, TensorScope.depth());
    }

    @Test
    void bf16GenerationRuns() throws IOException {
        Qwen25VLModel.Input in = captionInput();
        try (Qwen25VLModel bf16 = Qwen25VLModel.open(TextGolden.textEncoderDir(), ComputeDevice.CPU,
                Precision.BFLOAT16, ResidencyPolicy.streamed())) {
            GenerationConfig gen = GenerationConfig.read(TextGolden.textEncoderDir(), 492);
            long[] out = bf16.generate(in, gen.withEosTokenIds(new long[0]), 5, Qwen25VLModel.TokenListener.NONE,
                    null, null);
            assertEquals(5, out.length);
            System.out.println("tiny greedy generation in bf16 (CPU): " + Arrays.toString(out));
        }
        assertEquals(0, TensorScope.depth());
    }
}
