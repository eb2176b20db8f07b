package org.layered.model.transformer;

import org.layered.engine.Tensor;

/** The RoPE factors of one forward as float32 tensors shaped (1, S, 1, D/2) for images and (1, L, 1, D/2) for text. */
record RopeFactors(Tensor imgCos, Tensor imgSin, Tensor txtCos, Tensor txtSin) {
}
