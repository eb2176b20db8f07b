package org.layered.model.transformer;

import org.layered.engine.Tensor;

/**
 * The RoPE factors of one forward as float32 tensors of (cos, sin) pairs, shaped (1, S, 1, D/2, 2) for images and
 * (1, L, 1, D/2, 2) for text ({@link Layer3DRope.Table#tensor}).
 */
record RopeFactors(Tensor image, Tensor text) {
}
