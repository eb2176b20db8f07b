package org.layered.pipeline;

import java.io.IOException;
import java.util.List;

/**
 * Turns prompts into transformer conditioning (the text encoder). A model folder without one can still be run
 * with given embeddings.
 */
public interface PromptEncoding extends AutoCloseable {
    /**
     * Embeds each prompt as its own batch-1 {@code encode_prompt} call (as upstream encodes the prompt and the
     * negative prompt), into the current tensor scope.
     */
    List<TextConditioning> encode(List<String> prompts) throws IOException;

    /** Frees the encoder's weights if less than {@code bytesNeeded} memory is free (embeddings stay cached). */
    default void releaseIfMemoryShort(long bytesNeeded) throws IOException {}

    @Override
    void close() throws IOException;
}
