package org.layered.model.text;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Generation settings, token choice, caption prompts and small helpers. */
class GenerationPiecesTest {
    @Test
    void generationConfigsAreRead() throws Exception {
        GenerationConfig tiny = GenerationConfig.read(TextGolden.textEncoderDir(), 492);
        assertTrue(tiny.doSample());
        assertEquals(1e-6, tiny.temperature());
        assertEquals(50, tiny.topK());
        assertEquals(1.05, tiny.repetitionPenalty());
        assertArrayEquals(new long[] {492, 490}, tiny.eosTokenIds());
        assertTrue(tiny.isGreedy());
        assertEquals(512, tiny.maxNewTokens());
        GenerationConfig real = GenerationConfig.read(
                TextGolden.textEncoderDir().resolve("reference_qwen2.5-vl-7b-instruct"), 151645);
        assertArrayEquals(new long[] {151645, 151643}, real.eosTokenIds());
        assertTrue(real.isGreedy());
        GenerationConfig absent = GenerationConfig.read(TextGolden.textEncoderDir().resolve("processor"), 7);
        assertFalse(absent.doSample());
        assertArrayEquals(new long[] {7}, absent.eosTokenIds());
        assertEquals(1.0, absent.repetitionPenalty());
    }

    @Test
    void repetitionPenaltyAndArgmax() {
        float[] logits = {2.0f, -1.0f, 2.05f, 0.5f};
        boolean[] seen = {false, true, true, false};
        NextToken.applyRepetitionPenalty(logits, seen, 1.05);
        assertEquals(2.0f, logits[0]);
        assertEquals(-1.0f * 1.05f, logits[1]);
        assertEquals(2.05f / 1.05f, logits[2]);
        assertEquals(0, NextToken.argmax(logits)); // 2.0 > 1.952
        assertEquals(1, NextToken.argmax(new float[] {0, 3, 3})); // first maximum
    }

    @Test
    void samplingRespectsTopKAndTopP() {
        GenerationConfig g = new GenerationConfig(true, 1.0, 2, 1.0, 1.0, new long[0], -1, 10);
        Random r = new Random(1);
        for (int i = 0; i < 200; i++) {
            int t = NextToken.sample(new float[] {0f, 5f, 4.9f, -3f}, g, r);
            assertTrue(t == 1 || t == 2, "top-k 2 drew " + t);
        }
        GenerationConfig p = new GenerationConfig(true, 1.0, 0, 0.5, 1.0, new long[0], -1, 10);
        for (int i = 0; i < 200; i++) {
            assertEquals(1, NextToken.sample(new float[] {0f, 5f, 1f, -3f}, p, r));
        }
        assertFalse(g.isGreedy());
    }

    @Test
    void captionPromptsAreTheGoldenStrings() {
        var caption = TextGolden.tokenizerGolden().getAsJsonObject("caption");
        assertEquals(caption.get("prompt_en").getAsString(), CaptionPrompt.ENGLISH);
        assertEquals(caption.get("prompt_cn").getAsString(), CaptionPrompt.CHINESE);
        assertEquals(CaptionPrompt.ENGLISH, CaptionPrompt.of(true));
        assertEquals(CaptionPrompt.CHINESE, CaptionPrompt.of(false));
        long[] en = TextGolden.realTokenizer().encode(CaptionPrompt.ENGLISH);
        assertArrayEquals(longs(caption.getAsJsonArray("prompt_en_ids_unexpanded")), en);
        long[] cn = TextGolden.realTokenizer().encode(CaptionPrompt.CHINESE);
        assertArrayEquals(longs(caption.getAsJsonArray("prompt_cn_ids_unexpanded")), cn);
    }

    static long[] longs(com.google.gson.JsonArray a) {
        long[] out = new long[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).getAsLong();
        }
        return out;
    }

    @Test
    void emptyPromptsAreCaptioned() {
        assertTrue(ImageCaptioner.needsCaption(null));
        assertTrue(ImageCaptioner.needsCaption(""));
        assertTrue(ImageCaptioner.needsCaption(" "));
        assertFalse(ImageCaptioner.needsCaption("  "));
        assertFalse(ImageCaptioner.needsCaption("a cat"));
    }

    @Test
    void pythonStrip() {
        assertEquals("a b", ImageCaptioner.pythonStrip(" \n\t a b \u00a0\u3000\r"));
        assertEquals("", ImageCaptioner.pythonStrip(" \n "));
        assertEquals("\u200bx", ImageCaptioner.pythonStrip("\u200bx ")); // zero-width space is not whitespace
    }

    @Test
    void decodeAsGetImageCaption() {
        int n = 0;
        for (var e : TextGolden.tokenizerGolden().getAsJsonArray("decode")) {
            var o = e.getAsJsonObject();
            long[] ids = longs(o.getAsJsonArray("ids"));
            String decoded = TextGolden.realTokenizer().decode(ids, true);
            assertEquals(o.get("skip_special_tokens_true").getAsString(), decoded, o.get("name").getAsString());
            assertEquals(o.get("pipeline_strip").getAsString(), ImageCaptioner.pythonStrip(decoded),
                    o.get("name").getAsString());
            n++;
        }
        assertEquals(9, n);
    }
}
