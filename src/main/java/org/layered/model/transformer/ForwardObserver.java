package org.layered.model.transformer;

import org.layered.engine.Tensor;

/**
 * Receives intermediate values of a forward pass, named as in the golden files ({@code img_in}, {@code txt_norm},
 * {@code txt_in}, {@code time_proj}, {@code timestep_embedder}, {@code temb}, {@code rope_img.cos},
 * {@code rope_img.sin}, {@code rope_txt.cos}, {@code rope_txt.sin}, {@code block<N>.encoder_hidden_states},
 * {@code block<N>.hidden_states}, {@code norm_out}, {@code proj_out}). The tensor is only valid during the call:
 * copy what you need (e.g. {@code toFloats()}).
 */
@FunctionalInterface
public interface ForwardObserver {
    ForwardObserver NONE = (name, value) -> { };

    void on(String name, Tensor value);
}
