package org.layered.model.vae;

import org.layered.engine.Tensor;

/**
 * One module of the encoder or decoder on single-frame activations (N, C, H, W). {@code forward} returns a new
 * tensor in the caller's current scope, frees its own intermediates as it goes and never closes its input.
 */
interface VaeBlock {
    Tensor forward(Tensor x);
}
