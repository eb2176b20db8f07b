package org.layered.pipeline;

import org.layered.engine.DType;
import org.layered.engine.Ops;
import org.layered.engine.Tensor;
import org.layered.engine.TensorScope;

import java.util.List;

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

    /** Number of token positions (valid or padding). */
    public long length() {
        return embeds.size(1);
    }

    /**
     * This conditioning and {@code other} (batch 1 each) as one batch of two, this one first: the shorter is padded
     * with zero embeddings up to the longer and its padding masked, as upstream pads the prompts of a batch. The mask
     * is null only when neither needs one (same length, no masks). Results belong to the caller's current scope.
     */
    public TextConditioning pairedWith(TextConditioning other) {
        if (embeds.size(0) != 1 || other.embeds.size(0) != 1) {
            throw new IllegalArgumentException("only single prompts can be paired, got batches of " + embeds.size(0)
                    + " and " + other.embeds.size(0));
        }
        if (embeds.size(2) != other.embeds.size(2)) {
            throw new IllegalArgumentException("prompt embeddings differ in width: " + embeds.size(2) + " and "
                    + other.embeds.size(2));
        }
        long len = Math.max(length(), other.length());
        try (TensorScope s = TensorScope.open()) {
            Tensor both = Ops.concat(List.of(padded(embeds, len), padded(Ops.as(other.embeds, embeds.dtype()), len)),
                    0);
            Tensor m = mask == null && other.mask == null && length() == other.length() ? null
                    : Ops.concat(List.of(paddedMask(len), other.paddedMask(len)), 0);
            return new TextConditioning(s.keep(both), m == null ? null : s.keep(m));
        }
    }

    private static Tensor padded(Tensor x, long len) {
        long pad = len - x.size(1);
        return pad == 0 ? x : Ops.concat(List.of(x, Ops.zeros(new long[] {1, pad, x.size(2)}, x.dtype(), x.device())),
                1);
    }

    /** (1, len) bool: this mask (or all valid), then false for the padding. */
    private Tensor paddedMask(long len) {
        Tensor valid = mask != null ? Ops.as(mask, DType.BOOL)
                : Ops.full(new long[] {1, length()}, 1.0, DType.BOOL, embeds.device());
        long pad = len - length();
        return pad == 0 ? valid : Ops.concat(List.of(valid, Ops.zeros(new long[] {1, pad}, DType.BOOL,
                embeds.device())), 1);
    }
}
