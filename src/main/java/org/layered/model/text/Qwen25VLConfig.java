package org.layered.model.text;

import org.layered.model.text.vision.VisionConfig;
import org.layered.weights.config.ConfigException;
import org.layered.weights.config.JsonConfig;

import java.nio.file.Path;

/**
 * A whole Qwen2.5-VL {@code config.json} as the multimodal path needs it: the text model, the vision tower and the
 * special token ids (top level in both the flat released layout and the nested one; Qwen2.5-VL defaults when
 * absent).
 *
 * @param text               the language model
 * @param vision             the vision tower
 * @param imageTokenId       {@code image_token_id} ({@code <|image_pad|>}, 151655)
 * @param videoTokenId       {@code video_token_id} ({@code <|video_pad|>}, 151656)
 * @param visionStartTokenId {@code vision_start_token_id} ({@code <|vision_start|>}, 151652)
 * @param visionEndTokenId   {@code vision_end_token_id} ({@code <|vision_end|>}, 151653)
 * @param eosTokenId         {@code eos_token_id} of the model config (151645), the fallback stop token
 */
public record Qwen25VLConfig(Qwen2TextConfig text, VisionConfig vision, long imageTokenId, long videoTokenId,
        long visionStartTokenId, long visionEndTokenId, long eosTokenId) {

    /** Reads a text encoder's {@code config.json}. */
    public static Qwen25VLConfig read(Path configJson) throws ConfigException {
        return from(JsonConfig.read(configJson));
    }

    public static Qwen25VLConfig from(JsonConfig root) throws ConfigException {
        Qwen2TextConfig text = Qwen2TextConfig.from(root);
        VisionConfig vision = VisionConfig.from(root);
        JsonConfig t = root.has("text_config") ? root.object("text_config") : root;
        long eos = root.has("eos_token_id") ? (long) root.number("eos_token_id")
                : t.has("eos_token_id") ? (long) t.number("eos_token_id") : 151645;
        return new Qwen25VLConfig(text, vision, id(root, t, "image_token_id", 151655),
                id(root, t, "video_token_id", 151656), id(root, t, "vision_start_token_id", 151652),
                id(root, t, "vision_end_token_id", 151653), eos);
    }

    private static long id(JsonConfig root, JsonConfig text, String key, long fallback) throws ConfigException {
        if (root.has(key)) {
            return (long) root.number(key);
        }
        return text.has(key) ? (long) text.number(key) : fallback;
    }
}
