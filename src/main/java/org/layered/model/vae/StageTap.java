package org.layered.model.vae;

import org.layered.engine.Tensor;

/**
 * Receives intermediate activations during an encode or decode, named as in the golden files
 * ({@code enc.conv_in}, {@code enc.down_blocks.3}, {@code enc.mid_block}, {@code enc.conv_out}, {@code quant_conv};
 * {@code post_quant_conv}, {@code dec.conv_in}, {@code dec.mid_block}, {@code dec.up_blocks.2}, {@code dec.conv_out}).
 *
 * <p>The tensor is single-frame (N, C, H, W), i.e. upstream's (N, C, 1, H, W) without the frame axis (same element
 * order), for the frames of the current chunk only; it is freed after the call, so copy what you need.
 */
@FunctionalInterface
public interface StageTap {
    /** A tap that ignores everything. */
    StageTap NONE = (stage, value) -> { };

    void accept(String stage, Tensor value);
}
