package org.layered.model.text;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Case 3 of the text-encoder goldens: the real Qwen2.5-VL vocabulary, built from vocab.json + merges.txt. */
class QwenTokenizerGoldenTest {

    private static long[] longs(JsonElement a) {
        JsonArray arr = a.getAsJsonArray();
        long[] out = new long[arr.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = arr.get(i).getAsLong();
        }
        return out;
    }

    private static String[] strings(JsonElement a) {
        JsonArray arr = a.getAsJsonArray();
        String[] out = new String[arr.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = arr.get(i).getAsString();
        }
        return out;
    }

    @Test
    void templatePrefixIs34TokensAndSuffixIs5() {
        QwenTokenizer tok = TextGolden.realTokenizer();
        JsonObject g = TextGolden.tokenizerGolden();
        assertEquals(g.get("template").getAsString(), PromptTemplate.TEMPLATE);
        assertEquals(g.get("template_start_idx").getAsInt(), PromptTemplate.DROP_INDEX);
        JsonObject prefix = g.getAsJsonObject("template_prefix");
        assertEquals(prefix.get("text").getAsString(), PromptTemplate.PREFIX);
        assertArrayEquals(longs(prefix.get("ids")), PromptTemplate.verifyPrefix(tok));
        assertArrayEquals(strings(prefix.get("tokens")), tok.tokens(PromptTemplate.PREFIX));
        JsonObject suffix = g.getAsJsonObject("template_suffix");
        assertEquals(suffix.get("text").getAsString(), PromptTemplate.SUFFIX);
        assertArrayEquals(longs(suffix.get("ids")), tok.encode(PromptTemplate.SUFFIX));
        assertEquals(g.get("pad_token_id").getAsLong(), tok.padTokenId());
        for (var e : g.getAsJsonObject("special_token_ids").entrySet()) {
            assertArrayEquals(new long[] {e.getValue().getAsLong()}, tok.encode(e.getKey()), e.getKey());
        }
    }

    @Test
    void everyPromptGivesTheGoldenIdsTokensDropAndRoundTrip() {
        QwenTokenizer tok = TextGolden.realTokenizer();
        JsonArray prompts = TextGolden.tokenizerGolden().getAsJsonArray("prompts");
        assertTrue(prompts.size() >= 14);
        List<String> texts = new ArrayList<>();
        for (JsonElement e : prompts) {
            texts.add(e.getAsJsonObject().get("prompt").getAsString());
        }
        List<PromptTemplate.Tokenized> tokenized = PromptTemplate.tokenize(tok, texts);
        for (int i = 0; i < prompts.size(); i++) {
            JsonObject p = prompts.get(i).getAsJsonObject();
            String name = p.get("name").getAsString();
            String formatted = PromptTemplate.format(p.get("prompt").getAsString());
            assertEquals(p.get("formatted").getAsString(), formatted, name);
            long[] ids = longs(p.get("input_ids"));
            PromptTemplate.Tokenized t = tokenized.get(i);
            assertArrayEquals(ids, t.ids(), name + " ids");
            assertEquals(p.get("n_tokens").getAsInt(), t.ids().length, name);
            assertArrayEquals(strings(p.get("tokens")), tok.tokens(formatted), name + " tokens");
            assertEquals(p.get("first_34_equal_template_prefix").getAsBoolean(), t.prefixIntact(), name);
            assertArrayEquals(longs(p.get("kept_after_drop_idx")), t.keptIds(), name + " kept");
            assertEquals(p.get("n_kept").getAsInt(), t.keptLength(), name);
            assertArrayEquals(longs(p.get("prompt_alone_ids")), tok.encode(p.get("prompt").getAsString()),
                    name + " prompt alone");
            assertEquals(p.get("decode_roundtrip").getAsString(), tok.decode(ids, false), name + " decode");
        }
    }

    @Test
    void leadingNewlineMergesWithTheTemplateAndIsDroppedAsUpstream() {
        QwenTokenizer tok = TextGolden.realTokenizer();
        PromptTemplate.Tokenized t = PromptTemplate.tokenize(tok, List.of("\nstarts with a newline")).get(0);
        assertFalse(t.prefixIntact());
        assertEquals(271, t.ids()[PromptTemplate.DROP_INDEX - 1]); // "ĊĊ" replaces the prefix's last "Ċ"
        assertArrayEquals(new long[] {65876, 448, 264, 39027, 151645, 198, 151644, 77091, 198}, t.keptIds());
    }

    @Test
    void longPromptIsNotTruncatedByTheTokenizerAndCutsAfterTheDrop() {
        QwenTokenizer tok = TextGolden.realTokenizer();
        JsonObject longCase = null;
        for (JsonElement e : TextGolden.tokenizerGolden().getAsJsonArray("prompts")) {
            if (e.getAsJsonObject().get("name").getAsString().equals("long")) {
                longCase = e.getAsJsonObject();
            }
        }
        PromptTemplate.Tokenized t = PromptTemplate.tokenize(tok,
                List.of(longCase.get("prompt").getAsString())).get(0);
        assertEquals(1219, t.ids().length);
        assertEquals(1185, t.keptLength());
        long[] in = t.inputIds(PromptTemplate.DEFAULT_MAX_SEQUENCE_LENGTH);
        assertEquals(PromptTemplate.DROP_INDEX + 512, in.length);
        assertArrayEquals(Arrays.copyOf(t.ids(), in.length), in);
        assertThrows(IllegalArgumentException.class, () -> PromptTemplate.checkMaxSequenceLength(1025));
    }

    @Test
    void paddedBatchMatchesTokenizerWithPaddingTrue() {
        QwenTokenizer tok = TextGolden.realTokenizer();
        JsonObject b = TextGolden.tokenizerGolden().getAsJsonObject("batch");
        List<String> formatted = new ArrayList<>();
        for (JsonElement e : b.getAsJsonArray("prompts")) {
            formatted.add(PromptTemplate.format(e.getAsString()));
        }
        QwenTokenizer.Batch batch = tok.encodeBatch(formatted);
        JsonArray ids = b.getAsJsonArray("input_ids");
        JsonArray mask = b.getAsJsonArray("attention_mask");
        for (int i = 0; i < ids.size(); i++) {
            assertArrayEquals(longs(ids.get(i)), batch.ids()[i], "row " + i);
            long[] m = longs(mask.get(i));
            for (int j = 0; j < m.length; j++) {
                assertEquals(m[j] == 1, batch.mask()[i][j], "mask " + i + "," + j);
            }
        }
    }

    @Test
    void captionPromptsTokenizeAsUpstream() {
        QwenTokenizer tok = TextGolden.realTokenizer();
        JsonObject c = TextGolden.tokenizerGolden().getAsJsonObject("caption");
        assertArrayEquals(longs(c.get("prompt_en_ids_unexpanded")), tok.encode(c.get("prompt_en").getAsString()));
        assertArrayEquals(longs(c.get("prompt_cn_ids_unexpanded")), tok.encode(c.get("prompt_cn").getAsString()));
    }

    @Test
    void decodeFollowsSkipSpecialTokensSemantics() {
        QwenTokenizer tok = TextGolden.realTokenizer();
        for (JsonElement e : TextGolden.tokenizerGolden().getAsJsonArray("decode")) {
            JsonObject d = e.getAsJsonObject();
            String name = d.get("name").getAsString();
            long[] ids = longs(d.get("ids"));
            String skipped = tok.decode(ids, true);
            assertEquals(d.get("skip_special_tokens_true").getAsString(), skipped, name);
            assertEquals(d.get("pipeline_strip").getAsString(), skipped.strip(), name + " strip");
            assertEquals(d.get("skip_special_tokens_false").getAsString(), tok.decode(ids, false), name);
        }
    }

    /** The tokenizer.json branch, with a small hand-made vocabulary written by the same definition builder. */
    @Test
    void tokenizerJsonIsPreferredWhenPresent(@TempDir Path dir) throws IOException {
        String[] base = {"h", "e", "l", "o", "Ġ", "w", "r", "d", "he", "ll", "hell", "hello", "Ġw", "Ġwor", "or",
            "Ġworld", "Ċ"};
        StringBuilder vocab = new StringBuilder("{");
        for (int i = 0; i < base.length; i++) {
            vocab.append(i == 0 ? "" : ",").append('"').append(base[i]).append("\":").append(i);
        }
        vocab.append('}');
        Path slow = dir.resolve("slow");
        Files.createDirectories(slow);
        Files.writeString(slow.resolve("vocab.json"), vocab, StandardCharsets.UTF_8);
        Files.writeString(slow.resolve("merges.txt"),
                "#version: 0.2\nh e\nl l\nhe ll\nhell o\nĠ w\no r\nĠw or\n", StandardCharsets.UTF_8);
        Files.writeString(slow.resolve("tokenizer_config.json"), "{\"added_tokens_decoder\": {\"17\": {\"content\": "
                + "\"<|endoftext|>\", \"special\": true}, \"18\": {\"content\": \"<tool_call>\", \"special\": false}},"
                + " \"pad_token\": \"<|endoftext|>\"}", StandardCharsets.UTF_8);
        // "Ġworld" is in the vocabulary but not reachable by merges: BPE stops at the last applicable merge.
        try (QwenTokenizer t = QwenTokenizer.load(slow)) {
            assertArrayEquals(new String[] {"hello", "Ġwor", "l", "d", "<tool_call>", "<|endoftext|>"},
                    t.tokens("hello world<tool_call><|endoftext|>"));
            assertEquals(17, t.padTokenId());
            assertEquals("hello world<tool_call>", t.decode(t.encode("hello world<tool_call><|endoftext|>"), true));
        }
        Path fast = dir.resolve("fast");
        Files.createDirectories(fast);
        Files.writeString(fast.resolve("tokenizer.json"), TokenizerDefinition.fromSlowFiles(slow),
                StandardCharsets.UTF_8);
        // a vocab.json in the same folder that would fail is ignored when tokenizer.json is present
        Files.writeString(fast.resolve("vocab.json"), "not json", StandardCharsets.UTF_8);
        try (QwenTokenizer t = QwenTokenizer.load(fast)) {
            assertArrayEquals(new long[] {11, 13, 2, 7, 18}, t.encode("hello world<tool_call>"));
        }
    }
}
