package org.layered.model.text;

import org.layered.engine.ContextClassLoader;
import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;

import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * The Qwen2 byte-level BPE tokenizer (as {@code Qwen2Tokenizer} / {@code Qwen2TokenizerFast}), run by the HuggingFace
 * tokenizers library through DJL, offline.
 *
 * <p>Loaded from a checkpoint's {@code tokenizer/} folder: its {@code tokenizer.json} when present, otherwise a
 * definition built in memory from {@code vocab.json} + {@code merges.txt} + {@code tokenizer_config.json}
 * ({@link TokenizerDefinition}). Encoding adds no special tokens and never truncates (DJL's default would cut at 512
 * tokens); padding is done here, on the right, with the pad token, as {@code tokenizer(texts, padding=True)}.
 * Instances are thread-safe.
 */
public final class QwenTokenizer implements AutoCloseable {
    private final HuggingFaceTokenizer hf;
    private final long padId;
    private final String padToken;

    private QwenTokenizer(HuggingFaceTokenizer hf, String padToken) {
        this.hf = hf;
        this.padToken = padToken;
        long[] ids = hf.encode(padToken, false, false).getIds();
        if (ids.length != 1) {
            hf.close();
            throw new IllegalArgumentException("pad token '" + padToken + "' is not a single token (got "
                    + ids.length + " ids); the tokenizer definition lacks it as an added token");
        }
        this.padId = ids[0];
    }

    /**
     * A tokenizer folder's definition: the {@code tokenizer.json} text (built from {@code vocab.json} +
     * {@code merges.txt} when absent) and the pad token.
     */
    public record Definition(String json, String padToken) {}

    /**
     * Reads and checks the definition in a checkpoint's {@code tokenizer/} folder without starting the tokenizer
     * library: what {@link #load} uses, and what {@code layered info} checks.
     *
     * @throws IOException when the folder has neither {@code tokenizer.json} nor {@code vocab.json} +
     *     {@code merges.txt}, or a file is malformed (the message names it)
     */
    public static Definition definition(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IOException(dir + ": tokenizer folder not found");
        }
        Path json = dir.resolve("tokenizer.json");
        String text;
        if (Files.isRegularFile(json)) {
            text = Files.readString(json, StandardCharsets.UTF_8);
            try {
                if (!JsonParser.parseString(text).isJsonObject()) {
                    throw new IOException(json + ": expected a JSON object");
                }
            } catch (JsonParseException e) {
                throw new IOException(json + ": invalid JSON (" + e.getMessage() + ")", e);
            }
        } else {
            text = TokenizerDefinition.fromSlowFiles(dir);
        }
        JsonObject config = TokenizerDefinition.readConfig(dir);
        String pad = config == null ? null : TokenizerDefinition.tokenContent(config.get("pad_token"));
        return new Definition(text, pad == null ? TokenizerDefinition.DEFAULT_PAD_TOKEN : pad);
    }

    /**
     * Loads the tokenizer of a checkpoint's {@code tokenizer/} folder.
     *
     * @throws IOException as {@link #definition}
     */
    public static QwenTokenizer load(Path dir) throws IOException {
        Definition d = definition(dir);
        return fromJson(d.json(), d.padToken());
    }

    /** A tokenizer from {@code tokenizer.json} text. */
    public static QwenTokenizer fromJson(String tokenizerJson, String padToken) throws IOException {
        HuggingFaceTokenizer hf = withOurLoader(() -> {
            // Offline before DJL's first touch (as TorchEngine does): no telemetry, no hub lookups.
            System.setProperty("ai.djl.offline", System.getProperty("ai.djl.offline", "true"));
            System.setProperty("ai.djl.default_engine", System.getProperty("ai.djl.default_engine", "PyTorch"));
            Map<String, String> options = Map.of("addSpecialTokens", "false", "withOverflowingTokens", "false",
                    "truncation", "false", "padding", "false");
            try (InputStream in = new ByteArrayInputStream(tokenizerJson.getBytes(StandardCharsets.UTF_8))) {
                return HuggingFaceTokenizer.newInstance(in, options);
            }
        });
        return new QwenTokenizer(hf, padToken);
    }

    /** Token ids of {@code text} (no special tokens added, no truncation). */
    public long[] encode(String text) {
        return encoding(text).getIds();
    }

    /** Token strings (byte-level, e.g. {@code Ġthe}) of {@code text}. */
    public String[] tokens(String text) {
        return encoding(text).getTokens();
    }

    private synchronized Encoding encoding(String text) {
        return hf.encode(text, false, false);
    }

    /**
     * Decodes ids as {@code tokenizer.decode(ids, skip_special_tokens=..., clean_up_tokenization_spaces=False)}:
     * invalid UTF-8 becomes U+FFFD; with {@code skipSpecialTokens} only the tokens marked special are dropped.
     */
    public synchronized String decode(long[] ids, boolean skipSpecialTokens) {
        return hf.decode(ids, skipSpecialTokens);
    }

    /** The pad token's id (right padding). */
    public long padTokenId() {
        return padId;
    }

    public String padToken() {
        return padToken;
    }

    /**
     * {@code tokenizer(texts, padding=True)}: ids right-padded with the pad token to the longest, and the mask.
     */
    public Batch encodeBatch(List<String> texts) {
        long[][] raw = new long[texts.size()][];
        int max = 0;
        for (int i = 0; i < raw.length; i++) {
            raw[i] = encode(texts.get(i));
            max = Math.max(max, raw[i].length);
        }
        long[][] ids = new long[raw.length][max];
        boolean[][] mask = new boolean[raw.length][max];
        int[] lengths = new int[raw.length];
        for (int i = 0; i < raw.length; i++) {
            Arrays.fill(ids[i], padId);
            System.arraycopy(raw[i], 0, ids[i], 0, raw[i].length);
            Arrays.fill(mask[i], 0, raw[i].length, true);
            lengths[i] = raw[i].length;
        }
        return new Batch(ids, mask, lengths);
    }

    /**
     * A right-padded batch.
     *
     * @param ids     (B, L) token ids, padding = pad id
     * @param mask    (B, L) true for real tokens
     * @param lengths real tokens per row
     */
    public record Batch(long[][] ids, boolean[][] mask, int[] lengths) {
    }

    @Override
    public void close() {
        hf.close();
    }

    /**
     * Runs DJL code with the thread context class loader set to ours: an ImageJ plugin class loader is not the
     * context loader, and DJL finds its native library resources and services through the context loader.
     */
    private static <T> T withOurLoader(Callable<T> body) throws IOException {
        try {
            return ContextClassLoader.call(QwenTokenizer.class, body);
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException(e.getMessage(), e);
        }
    }
}
