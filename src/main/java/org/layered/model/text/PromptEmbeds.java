package org.layered.model.text;

import org.layered.engine.Tensor;

/**
 * The text conditioning of the Qwen-Image transformer, as {@code encode_prompt} returns it.
 *
 * @param embeds  (B, L, hidden) last hidden states of the kept tokens, zero-padded on the right, in the text
 *                encoder's dtype; owned by the {@code TensorScope} that was current when it was made
 * @param mask    (B, L) int64 ones/zeros, or null when every position is valid (upstream turns an all-ones mask into
 *                {@code None}: the transformer then attends without a text mask)
 * @param lengths valid tokens per row (= the row sums of the mask)
 */
public record PromptEmbeds(Tensor embeds, Tensor mask, int[] lengths) {
    public PromptEmbeds {
        lengths = lengths.clone();
    }

    /** Whether a mask is needed (some row is padded). */
    public boolean hasMask() {
        return mask != null;
    }

    public int batchSize() {
        return lengths.length;
    }

    /** L, the padded sequence length. */
    public long sequenceLength() {
        return embeds.size(1);
    }

    @Override
    public int[] lengths() {
        return lengths.clone();
    }
}
