package org.layered.model.text;

import org.layered.weights.config.ConfigException;
import org.layered.weights.config.JsonConfig;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The language-model part of a Qwen2.5-VL {@code config.json}, as far as the text path needs it.
 *
 * <p>Both layouts are read: the released checkpoints' flat config (text keys at the top level, a nested
 * {@code vision_config}) and newer transformers' nested one (text keys under {@code text_config}); a key missing
 * from {@code text_config} is looked up at the top level. The RoPE parameters come from {@code rope_scaling}
 * ({@code mrope_section}) and {@code rope_theta}, or from a {@code rope_parameters} object.
 *
 * @param hiddenSize        {@code hidden_size}
 * @param numLayers         {@code num_hidden_layers}
 * @param numHeads          {@code num_attention_heads}
 * @param numKvHeads        {@code num_key_value_heads} (GQA: each KV head serves {@code numHeads/numKvHeads})
 * @param headDim           {@code head_dim}, default {@code hidden_size / num_attention_heads}
 * @param intermediateSize  {@code intermediate_size} (SwiGLU)
 * @param vocabSize         {@code vocab_size} (embedding rows)
 * @param rmsNormEps        {@code rms_norm_eps}
 * @param ropeTheta         {@code rope_theta}
 * @param mropeSection      {@code mrope_section}: frequencies per M-RoPE axis (t, h, w), summing to
 *                          {@code headDim/2}; a plain 1-D RoPE is {@code [headDim/2, 0, 0]}
 */
public record Qwen2TextConfig(int hiddenSize, int numLayers, int numHeads, int numKvHeads, int headDim,
        int intermediateSize, int vocabSize, double rmsNormEps, double ropeTheta, int[] mropeSection) {

    public Qwen2TextConfig {
        mropeSection = mropeSection.clone();
        List<String> e = new ArrayList<>();
        positive(e, "hidden_size", hiddenSize);
        positive(e, "num_hidden_layers", numLayers);
        positive(e, "num_attention_heads", numHeads);
        positive(e, "num_key_value_heads", numKvHeads);
        positive(e, "head_dim", headDim);
        positive(e, "intermediate_size", intermediateSize);
        positive(e, "vocab_size", vocabSize);
        if (numKvHeads > 0 && numHeads % numKvHeads != 0) {
            e.add("'num_attention_heads' (" + numHeads + ") must be a multiple of 'num_key_value_heads' ("
                    + numKvHeads + ")");
        }
        if (headDim % 2 != 0) {
            e.add("head_dim must be even for rotary embeddings, found " + headDim);
        }
        if (mropeSection.length != 3 || Arrays.stream(mropeSection).anyMatch(s -> s < 0)
                || Arrays.stream(mropeSection).sum() != headDim / 2) {
            e.add("'mrope_section' must be 3 non-negative sizes summing to head_dim/2 = " + headDim / 2 + ", found "
                    + Arrays.toString(mropeSection));
        }
        if (!(rmsNormEps > 0)) {
            e.add("'rms_norm_eps' must be positive, found " + rmsNormEps);
        }
        if (!(ropeTheta > 0)) {
            e.add("'rope_theta' must be positive, found " + ropeTheta);
        }
        if (!e.isEmpty()) {
            throw new IllegalArgumentException("invalid Qwen2.5-VL text config: " + String.join("; ", e));
        }
    }

    private static void positive(List<String> errors, String key, int value) {
        if (value <= 0) {
            errors.add(value == -1 ? "'" + key + "' is missing" : "'" + key + "' must be positive, found " + value);
        }
    }

    /** Qwen2.5-VL-7B-Instruct, the text encoder of Qwen-Image(-Layered). */
    public static Qwen2TextConfig qwen25Vl7b() {
        return new Qwen2TextConfig(3584, 28, 28, 4, 128, 18944, 152064, 1e-6, 1_000_000.0, new int[] {16, 24, 24});
    }

    /** Reads a text encoder's {@code config.json}. */
    public static Qwen2TextConfig read(Path configJson) throws ConfigException {
        return from(JsonConfig.read(configJson));
    }

    /** The text part of a parsed config (flat or nested). */
    public static Qwen2TextConfig from(JsonConfig root) throws ConfigException {
        JsonConfig text = root.has("text_config") ? root.object("text_config") : root;
        Keys k = new Keys(text, root);
        String act = k.string("hidden_act", "silu");
        if (!act.equals("silu")) {
            throw new ConfigException(root.file() + ": hidden_act '" + act + "' is not supported (silu only)");
        }
        int hidden = k.integer("hidden_size", -1);
        int heads = k.integer("num_attention_heads", -1);
        int headDim = k.integer("head_dim", heads > 0 ? hidden / heads : -1);

        JsonConfig rope = k.object("rope_parameters");
        if (rope == null) {
            rope = k.object("rope_scaling");
        }
        double theta = rope != null && rope.has("rope_theta") ? rope.number("rope_theta")
                : k.number("rope_theta", 1_000_000.0);
        int[] section;
        if (rope != null) {
            String type = rope.string("rope_type", rope.string("type", "default")).toLowerCase(Locale.ROOT);
            if (!type.equals("default") && !type.equals("mrope")) {
                throw new ConfigException(root.file() + ": rope type '" + type + "' is not supported (default or "
                        + "mrope)");
            }
            section = rope.has("mrope_section") ? rope.integers("mrope_section") : new int[] {headDim / 2, 0, 0};
        } else {
            section = new int[] {headDim / 2, 0, 0};
        }
        try {
            return new Qwen2TextConfig(hidden, k.integer("num_hidden_layers", -1), heads,
                    k.integer("num_key_value_heads", heads), headDim, k.integer("intermediate_size", -1),
                    k.integer("vocab_size", -1), k.number("rms_norm_eps", 1e-6), theta, section);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(root.file() + ": " + e.getMessage(), e);
        }
    }

    /** GQA group size: query heads per KV head. */
    public int kvGroups() {
        return numHeads / numKvHeads;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Qwen2TextConfig c && c.hiddenSize == hiddenSize && c.numLayers == numLayers
                && c.numHeads == numHeads && c.numKvHeads == numKvHeads && c.headDim == headDim
                && c.intermediateSize == intermediateSize && c.vocabSize == vocabSize && c.rmsNormEps == rmsNormEps
                && c.ropeTheta == ropeTheta && Arrays.equals(c.mropeSection, mropeSection);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(new double[] {hiddenSize, numLayers, numHeads, numKvHeads, headDim, intermediateSize,
            vocabSize, rmsNormEps, ropeTheta}) * 31 + Arrays.hashCode(mropeSection);
    }

    @Override
    public String toString() {
        return "Qwen2TextConfig[hidden=" + hiddenSize + ", layers=" + numLayers + ", heads=" + numHeads + "/"
                + numKvHeads + " x " + headDim + ", ffn=" + intermediateSize + ", vocab=" + vocabSize + ", eps="
                + rmsNormEps + ", theta=" + ropeTheta + ", mrope=" + Arrays.toString(mropeSection) + "]";
    }

    /** Looks a key up in text_config first, then at the top level. */
    private record Keys(JsonConfig text, JsonConfig root) {
        private JsonConfig where(String key) {
            return text.has(key) ? text : root.has(key) ? root : null;
        }

        int integer(String key, int fallback) throws ConfigException {
            JsonConfig c = where(key);
            return c == null ? fallback : c.integer(key);
        }

        double number(String key, double fallback) throws ConfigException {
            JsonConfig c = where(key);
            return c == null ? fallback : c.number(key);
        }

        String string(String key, String fallback) throws ConfigException {
            JsonConfig c = where(key);
            return c == null ? fallback : c.string(key);
        }

        JsonConfig object(String key) throws ConfigException {
            JsonConfig c = where(key);
            return c == null ? null : c.object(key);
        }
    }
}
