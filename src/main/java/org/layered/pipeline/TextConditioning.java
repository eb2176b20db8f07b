package org.layered.pipeline;

import org.layered.engine.Tensor;

/**
 * Prompt embeddings as the transformer takes them: {@code embeds} (B, L, joint_attention_dim) and {@code mask}
 * (B, L) with 1 for valid tokens, or null when every token is valid (upstream turns an all-ones mask into None).
 */
public record TextConditioning(Tensor embeds, Tensor mask) {
    public TextConditioning {
        if (embeds == null) {
            throw new IllegalArgumentException("prompt embeddings are required");
        }
        if (embeds.rank() != 3) {
            throw new IllegalArgumentException("prompt embeddings must be (batch, tokens, features), got rank "
                    + embeds.rank());
        }
        if (mask != null && (mask.rank() != 2 || mask.size(0) != embeds.size(0) || mask.size(1) != embeds.size(1))) {
            throw new IllegalArgumentException("prompt mask must be (batch, tokens) = (" + embeds.size(0) + ", "
                    + embeds.size(1) + "), got " + java.util.Arrays.toString(mask.shape()));
        }
    }
}
