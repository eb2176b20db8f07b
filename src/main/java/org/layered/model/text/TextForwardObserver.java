package org.layered.model.text;

import org.layered.engine.Tensor;

/**
 * Receives intermediate tensors of a {@link Qwen2LanguageModel} forward pass (for parity tests and debugging). The
 * tensor is only valid during the call; copy what you need.
 *
 * <p>Names: {@code embed_tokens} (B, L, hidden); {@code rope.cos}, {@code rope.sin} (B, 1, L, headDim, merged over
 * the M-RoPE sections); per layer i {@code layer<i>.q}, {@code layer<i>.k} (after bias, before RoPE, (B, heads, L,
 * headDim)), {@code layer<i>.q_rot}, {@code layer<i>.k_rot}, {@code layer<i>.output} (B, L, hidden); {@code norm}
 * (the final-norm output = last hidden state).
 */
@FunctionalInterface
public interface TextForwardObserver {
    TextForwardObserver NONE = (batch, name, value) -> { };

    /**
     * @param batch index of the batch in the {@link Qwen2LanguageModel#forward(java.util.List, TextForwardObserver)}
     *              call
     */
    void tensor(int batch, String name, Tensor value);
}
