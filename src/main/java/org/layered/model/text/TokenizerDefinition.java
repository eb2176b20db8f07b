package org.layered.model.text;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.stream.JsonWriter;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The HuggingFace {@code tokenizer.json} text of a Qwen2 byte-level BPE tokenizer, built from the files the slow
 * {@code Qwen2Tokenizer} reads: {@code vocab.json}, {@code merges.txt} and {@code tokenizer_config.json}.
 *
 * <p>What it encodes is what {@code Qwen2Tokenizer} (transformers {@code tokenization_qwen2.py}) does:
 * <ul>
 *   <li>NFC normalisation of the text;</li>
 *   <li>the added tokens (all of {@code added_tokens_decoder}, special or not, plus special tokens the config names
 *       that are not in the vocabulary) are split off first, with their {@code lstrip/rstrip/single_word/normalized}
 *       flags; {@code special} decides what {@code skip_special_tokens} drops when decoding;</li>
 *   <li>pre-tokenisation with the Qwen2 regex ({@link #QWEN2_SPLIT_REGEX}, matches kept as pieces), then GPT-2's
 *       byte-to-unicode mapping ({@code ByteLevel} without prefix space and without its own regex);</li>
 *   <li>BPE with the merge ranks of {@code merges.txt}, no unknown token, no dropout, no byte fallback;</li>
 *   <li>decoding through the {@code ByteLevel} decoder (UTF-8 with U+FFFD for invalid sequences, as
 *       {@code errors="replace"}).</li>
 * </ul>
 * No post-processor adds tokens (Qwen2 has no BOS/EOS on encode) and no truncation or padding is configured.
 */
public final class TokenizerDefinition {
    /** The pre-tokeniser pattern of {@code Qwen2Tokenizer} ({@code PRETOKENIZE_REGEX}); digits split one by one. */
    public static final String QWEN2_SPLIT_REGEX = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+"
            + "|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    /** Qwen2Tokenizer's defaults when the config does not name them. */
    static final String DEFAULT_PAD_TOKEN = "<|endoftext|>";

    /**
     * One added token as {@code tokenizer_config.json}'s {@code added_tokens_decoder} describes it.
     *
     * @param special whether {@code skip_special_tokens} removes it when decoding
     */
    public record AddedToken(int id, String content, boolean special, boolean lstrip, boolean rstrip,
            boolean normalized, boolean singleWord) {
    }

    private TokenizerDefinition() {
    }

    /**
     * The {@code tokenizer.json} text for the folder's {@code vocab.json} + {@code merges.txt} (+ optional
     * {@code tokenizer_config.json}).
     *
     * @throws IOException naming the file that is missing or malformed
     */
    public static String fromSlowFiles(Path dir) throws IOException {
        Path vocab = dir.resolve("vocab.json");
        Path merges = dir.resolve("merges.txt");
        for (Path p : List.of(vocab, merges)) {
            if (!Files.isRegularFile(p)) {
                throw new IOException(dir + ": neither tokenizer.json nor " + p.getFileName()
                        + " found; a Qwen2 tokenizer folder needs tokenizer.json or vocab.json + merges.txt");
            }
        }
        JsonObject config = readConfig(dir);
        JsonObject vocabJson;
        try {
            JsonElement e = JsonParser.parseString(Files.readString(vocab, StandardCharsets.UTF_8));
            if (!e.isJsonObject()) {
                throw new IOException(vocab + ": expected a JSON object {token: id}");
            }
            vocabJson = e.getAsJsonObject();
        } catch (JsonParseException e) {
            throw new IOException(vocab + ": invalid JSON (" + e.getMessage() + ")", e);
        }
        List<String> mergeLines;
        try (BufferedReader r = Files.newBufferedReader(merges, StandardCharsets.UTF_8)) {
            mergeLines = r.lines().toList();
        } catch (UncheckedIOException e) {
            throw new IOException(merges + ": not UTF-8 text (" + e.getCause().getMessage() + ")", e.getCause());
        }
        try {
            return build(vocabJson, mergeLines, config);
        } catch (IllegalArgumentException e) {
            throw new IOException(dir + ": " + e.getMessage(), e);
        }
    }

    /** {@code tokenizer_config.json} of the folder, or null when absent. */
    static JsonObject readConfig(Path dir) throws IOException {
        Path p = dir.resolve("tokenizer_config.json");
        if (!Files.isRegularFile(p)) {
            return null;
        }
        try {
            JsonElement e = JsonParser.parseString(Files.readString(p, StandardCharsets.UTF_8));
            if (!e.isJsonObject()) {
                throw new IOException(p + ": expected a JSON object");
            }
            return e.getAsJsonObject();
        } catch (JsonParseException e) {
            throw new IOException(p + ": invalid JSON (" + e.getMessage() + ")", e);
        }
    }

    /**
     * Builds the definition.
     *
     * @param vocab      {@code vocab.json}: token string to id
     * @param mergeLines the lines of {@code merges.txt} (a first line {@code #version: ...} and empty lines are
     *                   skipped, as the slow tokenizer does)
     * @param config     {@code tokenizer_config.json}, or null
     * @throws IllegalArgumentException for a malformed merge line or conflicting ids
     */
    public static String build(JsonObject vocab, List<String> mergeLines, JsonObject config) {
        List<String> merges = parseMerges(mergeLines);
        List<AddedToken> added = addedTokens(vocab, config);
        StringWriter out = new StringWriter(vocab.size() * 24 + merges.size() * 16);
        try (JsonWriter w = new JsonWriter(out)) {
            w.setHtmlSafe(false);
            w.beginObject();
            w.name("version").value("1.0");
            w.name("truncation").nullValue();
            w.name("padding").nullValue();
            w.name("added_tokens").beginArray();
            for (AddedToken t : added) {
                w.beginObject();
                w.name("id").value(t.id());
                w.name("content").value(t.content());
                w.name("single_word").value(t.singleWord());
                w.name("lstrip").value(t.lstrip());
                w.name("rstrip").value(t.rstrip());
                w.name("normalized").value(t.normalized());
                w.name("special").value(t.special());
                w.endObject();
            }
            w.endArray();
            w.name("normalizer").beginObject().name("type").value("NFC").endObject();
            w.name("pre_tokenizer").beginObject();
            w.name("type").value("Sequence");
            w.name("pretokenizers").beginArray();
            w.beginObject();
            w.name("type").value("Split");
            w.name("pattern").beginObject().name("Regex").value(QWEN2_SPLIT_REGEX).endObject();
            w.name("behavior").value("Isolated");
            w.name("invert").value(false);
            w.endObject();
            byteLevel(w.beginObject()).endObject();
            w.endArray();
            w.endObject();
            w.name("post_processor");
            byteLevel(w.beginObject()).endObject();
            w.name("decoder");
            byteLevel(w.beginObject()).endObject();
            w.name("model").beginObject();
            w.name("type").value("BPE");
            w.name("dropout").nullValue();
            w.name("unk_token").nullValue();
            w.name("continuing_subword_prefix").nullValue();
            w.name("end_of_word_suffix").nullValue();
            w.name("fuse_unk").value(false);
            w.name("byte_fallback").value(false);
            w.name("ignore_merges").value(false);
            w.name("vocab").beginObject();
            for (Map.Entry<String, JsonElement> e : vocab.entrySet()) {
                w.name(e.getKey()).value(e.getValue().getAsLong());
            }
            w.endObject();
            w.name("merges").beginArray();
            for (String m : merges) {
                w.value(m);
            }
            w.endArray();
            w.endObject();
            w.endObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringWriter does not fail
        }
        return out.toString();
    }

    private static JsonWriter byteLevel(JsonWriter w) throws IOException {
        return w.name("type").value("ByteLevel").name("add_prefix_space").value(false)
                .name("trim_offsets").value(false).name("use_regex").value(false);
    }

    /** Merge pairs as {@code "a b"}, in rank order. */
    static List<String> parseMerges(List<String> lines) {
        List<String> out = new ArrayList<>(lines.size());
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if ((i == 0 && line.startsWith("#version:")) || line.isEmpty()) {
                continue;
            }
            String[] parts = line.split("\\s+");
            if (parts.length != 2) {
                throw new IllegalArgumentException("merges.txt line " + (i + 1) + " is not a pair of tokens: '"
                        + line + "'");
            }
            out.add(parts[0] + " " + parts[1]);
        }
        return out;
    }

    /**
     * The added tokens: {@code added_tokens_decoder} in id order, special flags as given (a token the config also
     * names as bos/eos/unk/pad or in {@code additional_special_tokens} counts as special, as in transformers), plus
     * any such named token missing from both the vocabulary and the decoder, appended with the next free id.
     * Without a config, {@code <|endoftext|>} is added as Qwen2Tokenizer's default special token.
     */
    static List<AddedToken> addedTokens(JsonObject vocab, JsonObject config) {
        Map<String, AddedToken> byContent = new LinkedHashMap<>();
        Set<String> named = new HashSet<>();
        if (config != null) {
            for (String key : List.of("bos_token", "eos_token", "unk_token", "pad_token")) {
                String s = tokenContent(config.get(key));
                if (s != null) {
                    named.add(s);
                }
            }
            JsonElement extra = config.get("additional_special_tokens");
            if (extra != null && extra.isJsonArray()) {
                for (JsonElement e : extra.getAsJsonArray()) {
                    String s = tokenContent(e);
                    if (s != null) {
                        named.add(s);
                    }
                }
            }
            JsonElement dec = config.get("added_tokens_decoder");
            if (dec != null && dec.isJsonObject()) {
                List<AddedToken> list = new ArrayList<>();
                for (Map.Entry<String, JsonElement> e : dec.getAsJsonObject().entrySet()) {
                    int id;
                    try {
                        id = Integer.parseInt(e.getKey());
                    } catch (NumberFormatException ex) {
                        throw new IllegalArgumentException("added_tokens_decoder key '" + e.getKey()
                                + "' is not an id");
                    }
                    JsonObject o = e.getValue().getAsJsonObject();
                    String content = o.get("content").getAsString();
                    list.add(new AddedToken(id, content, flag(o, "special", false) || named.contains(content),
                            flag(o, "lstrip", false), flag(o, "rstrip", false), flag(o, "normalized", false),
                            flag(o, "single_word", false)));
                }
                list.sort(Comparator.comparingInt(AddedToken::id));
                for (AddedToken t : list) {
                    byContent.put(t.content(), t);
                }
            }
        } else {
            named.add(DEFAULT_PAD_TOKEN);
        }
        int next = 0;
        for (Map.Entry<String, JsonElement> e : vocab.entrySet()) {
            next = Math.max(next, e.getValue().getAsInt() + 1);
        }
        for (AddedToken t : byContent.values()) {
            next = Math.max(next, t.id() + 1);
        }
        List<AddedToken> out = new ArrayList<>(byContent.values());
        for (String s : named.stream().sorted().toList()) {
            if (!byContent.containsKey(s)) {
                int id = vocab.has(s) ? vocab.get(s).getAsInt() : next++;
                out.add(new AddedToken(id, s, true, false, false, false, false));
            }
        }
        out.sort(Comparator.comparingInt(AddedToken::id));
        return out;
    }

    private static boolean flag(JsonObject o, String key, boolean fallback) {
        JsonElement e = o.get(key);
        return e == null || e.isJsonNull() ? fallback : e.getAsBoolean();
    }

    /** A token given as a string or as an {@code AddedToken} object ({@code {"content": ...}}); null otherwise. */
    static String tokenContent(JsonElement e) {
        if (e == null || e.isJsonNull()) {
            return null;
        }
        if (e.isJsonPrimitive()) {
            return e.getAsString();
        }
        if (e.isJsonObject() && e.getAsJsonObject().has("content")) {
            return e.getAsJsonObject().get("content").getAsString();
        }
        return null;
    }
}
