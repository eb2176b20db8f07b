package org.layered.pipeline;

import java.io.IOException;
import java.util.List;

/**
 * The pipeline's text model: turns prompts into transformer conditioning and, when no prompt is given, captions the
 * image (Qwen2.5-VL does both). A model folder without one can still be run with given embeddings.
 */
public interface PromptEncoding extends AutoCloseable {
    /**
     * Embeds each prompt as its own batch-1 {@code encode_prompt} call (as upstream encodes the prompt and the
     * negative prompt), into the current tensor scope.
     */
    List<TextConditioning> encode(List<String> prompts) throws IOException;

    /**
     * Upstream's automatic caption of {@code image} (the bucket-resized input; English instruction, 512 new tokens
     * at most).
     *
     * @throws IOException when this text model cannot caption
     */
    default String caption(org.layered.image.RgbaImage image, org.layered.engine.Cancellation cancel)
            throws IOException {
        throw new IOException("this text model cannot caption images; give a prompt");
    }

    /** Frees the encoder's weights (embeddings stay cached); the next prompt not cached loads them again. */
    default void release() throws IOException {}

    @Override
    void close() throws IOException;
}
