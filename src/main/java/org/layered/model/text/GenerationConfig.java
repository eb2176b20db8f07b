package org.layered.model.text;

import com.google.gson.JsonElement;

import org.layered.weights.config.ConfigException;
import org.layered.weights.config.JsonConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A checkpoint's {@code generation_config.json}, as far as {@code generate()} uses it for the caption, with
 * transformers' {@code GenerationConfig} defaults for absent keys.
 *
 * <p>Decoding: the {@link #repetitionPenalty() repetition penalty} ({@code RepetitionPenaltyLogitsProcessor}) is
 * applied to the float32 last-token logits over every id of the prompt and of the tokens generated so far
 * (a logit {@code s} becomes {@code s * p} if negative, else {@code s / p}); then the next token is the argmax
 * when {@link #isGreedy()}, otherwise it is sampled after temperature, top-k and top-p (in that order). Generation
 * stops after an {@link #eosTokenIds() eos token} (which is kept in the output) or {@code maxNewTokens} tokens.
 *
 * <p>The stock Qwen2.5-VL generation config has {@code do_sample=true} with {@code temperature=1e-6} (and, in some
 * copies, {@code top_k=1}, {@code top_p=0.001}): with such a temperature every token whose logit is more than a
 * few 1e-5 below the maximum has probability below {@code e^-30}, so it is decoded greedily here (see
 * {@link #isGreedy()}); only exact or near ties can differ from upstream's sampled choice.
 *
 * @param doSample          {@code do_sample} (default false)
 * @param temperature       {@code temperature} (1.0)
 * @param topK              {@code top_k} (50; 0 = off)
 * @param topP              {@code top_p} (1.0 = off)
 * @param repetitionPenalty {@code repetition_penalty} (1.0 = off)
 * @param eosTokenIds       {@code eos_token_id} (int or list; the model config's when absent)
 * @param padTokenId        {@code pad_token_id}, -1 when absent
 * @param maxNewTokens      {@code max_new_tokens}: what {@code get_image_caption} passes (512)
 */
public record GenerationConfig(boolean doSample, double temperature, int topK, double topP,
        double repetitionPenalty, long[] eosTokenIds, long padTokenId, int maxNewTokens) {

    /** {@code get_image_caption} passes {@code max_new_tokens=512}. */
    public static final int CAPTION_MAX_NEW_TOKENS = 512;
    /** Temperatures below this make sampling an argmax (see the class comment). */
    public static final double GREEDY_TEMPERATURE = 1e-4;

    public GenerationConfig {
        eosTokenIds = eosTokenIds.clone();
        if (!(temperature > 0)) {
            throw new IllegalArgumentException("temperature must be positive, got " + temperature);
        }
        if (!(repetitionPenalty > 0)) {
            throw new IllegalArgumentException("repetition_penalty must be positive, got " + repetitionPenalty);
        }
        if (topK < 0 || !(topP > 0) || topP > 1) {
            throw new IllegalArgumentException("top_k must be >= 0 and 0 < top_p <= 1, got " + topK + ", " + topP);
        }
        if (maxNewTokens < 1) {
            throw new IllegalArgumentException("max_new_tokens must be >= 1, got " + maxNewTokens);
        }
    }

    /** Plain greedy decoding (transformers' defaults) with these stop ids. */
    public static GenerationConfig greedy(long[] eosTokenIds, int maxNewTokens) {
        return new GenerationConfig(false, 1.0, 50, 1.0, 1.0, eosTokenIds, -1, maxNewTokens);
    }

    /**
     * Reads {@code generation_config.json} of a text encoder folder; when the file is absent, transformers'
     * defaults (greedy, no penalty) with {@code fallbackEos}.
     */
    public static GenerationConfig read(Path dir, long fallbackEos) throws ConfigException {
        Path file = Files.isDirectory(dir) ? dir.resolve("generation_config.json") : dir;
        if (!Files.isRegularFile(file)) {
            return greedy(new long[] {fallbackEos}, CAPTION_MAX_NEW_TOKENS);
        }
        return from(JsonConfig.read(file), fallbackEos);
    }

    public static GenerationConfig from(JsonConfig c, long fallbackEos) throws ConfigException {
        long[] eos = {fallbackEos};
        if (c.has("eos_token_id")) {
            JsonElement e = c.json().get("eos_token_id");
            if (e.isJsonArray()) {
                eos = new long[e.getAsJsonArray().size()];
                for (int i = 0; i < eos.length; i++) {
                    eos[i] = e.getAsJsonArray().get(i).getAsLong();
                }
            } else {
                eos = new long[] {(long) c.number("eos_token_id")};
            }
        }
        try {
            return new GenerationConfig(c.bool("do_sample", false), c.number("temperature", 1.0),
                    c.integer("top_k", 50), c.number("top_p", 1.0), c.number("repetition_penalty", 1.0), eos,
                    c.has("pad_token_id") ? (long) c.number("pad_token_id") : -1,
                    c.integer("max_new_tokens", CAPTION_MAX_NEW_TOKENS));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(c.file() + ": " + e.getMessage(), e);
        }
    }

    /** The same settings with another {@code max_new_tokens}. */
    public GenerationConfig withMaxNewTokens(int n) {
        return new GenerationConfig(doSample, temperature, topK, topP, repetitionPenalty, eosTokenIds, padTokenId, n);
    }

    /** The same settings with other stop ids (e.g. mapped into a test model's id space). */
    public GenerationConfig withEosTokenIds(long[] ids) {
        return new GenerationConfig(doSample, temperature, topK, topP, repetitionPenalty, ids, padTokenId,
                maxNewTokens);
    }

    /**
     * Whether the next token is the argmax of the penalised logits: no sampling, {@code top_k == 1}, or a
     * temperature below {@link #GREEDY_TEMPERATURE}.
     */
    public boolean isGreedy() {
        return !doSample || topK == 1 || temperature < GREEDY_TEMPERATURE;
    }

    public boolean isEos(long id) {
        for (long e : eosTokenIds) {
            if (e == id) {
                return true;
            }
        }
        return false;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GenerationConfig g && g.doSample == doSample && g.temperature == temperature
                && g.topK == topK && g.topP == topP && g.repetitionPenalty == repetitionPenalty
                && Arrays.equals(g.eosTokenIds, eosTokenIds) && g.padTokenId == padTokenId
                && g.maxNewTokens == maxNewTokens;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(new double[] {temperature, topK, topP, repetitionPenalty, padTokenId, maxNewTokens})
                + 31 * Arrays.hashCode(eosTokenIds) + (doSample ? 1 : 0);
    }

    @Override
    public String toString() {
        return "GenerationConfig[" + (isGreedy() ? "greedy" : "sample t=" + temperature + " top_k=" + topK
                + " top_p=" + topP) + ", repetition_penalty=" + repetitionPenalty + ", eos="
                + Arrays.toString(eosTokenIds) + ", max_new_tokens=" + maxNewTokens + "]";
    }
}
