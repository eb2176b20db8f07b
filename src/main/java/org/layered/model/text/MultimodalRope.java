package org.layered.model.text;

import org.layered.engine.ComputeDevice;
import org.layered.engine.DType;
import org.layered.engine.Ops;
import org.layered.engine.Tensor;

/**
 * Qwen2.5-VL's multimodal rotary embedding (M-RoPE) for the language model, in transformers' float32 arithmetic.
 *
 * <p>{@code inv_freq[j] = 1 / theta^(2j/d)} (float32), angle = {@code position * inv_freq[j]} (a float32 product)
 * for each of the three position axes (temporal, height, width), duplicated to the full head dim
 * ({@code cat(freqs, freqs)}). The head dim is then cut into sections {@code mrope_section * 2}
 * (e.g. [16,24,24,16,24,24]), section i taking its angles from axis {@code i % 3}. The rotation is "rotate half":
 * pairs (i, i + d/2), not interleaved. For text all three axes carry the same position, so this is plain 1-D RoPE.
 */
public final class MultimodalRope {
    private final int headDim;
    private final float[] invFreq;
    /** For each of the headDim lanes: which position axis (0..2) it takes its angle from. */
    private final int[] axisOfLane;

    public MultimodalRope(Qwen2TextConfig config) {
        this.headDim = config.headDim();
        int half = headDim / 2;
        this.invFreq = new float[half];
        for (int j = 0; j < half; j++) {
            // torch: 1.0 / (base ** (arange(0, dim, 2).float() / dim)), all in float32
            float exponent = (float) (2 * j) / (float) headDim;
            float p = (float) Math.pow((float) config.ropeTheta(), exponent);
            invFreq[j] = 1.0f / p;
        }
        int[] s = config.mropeSection();
        this.axisOfLane = new int[headDim];
        int lane = 0;
        for (int rep = 0; rep < 2; rep++) {
            for (int axis = 0; axis < 3; axis++) {
                for (int n = 0; n < s[axis]; n++) {
                    axisOfLane[lane++] = axis;
                }
            }
        }
    }

    /** The inverse frequencies (float32), one per rotated pair. */
    public float[] inverseFrequencies() {
        return invFreq.clone();
    }

    /**
     * The merged (section-selected) cos and sin per token: two {@code (B, 1, L, headDim)} tensors in {@code dtype}
     * (upstream casts them to the activation dtype), ready to broadcast over heads.
     *
     * @param positions (3, B, L) position ids per axis
     */
    public Tensor[] cosSin(long[][][] positions, DType dtype, ComputeDevice device) {
        if (positions.length != 3) {
            throw new IllegalArgumentException("M-RoPE positions need 3 axes, got " + positions.length);
        }
        int b = positions[0].length;
        int l = b == 0 ? 0 : positions[0][0].length;
        int half = headDim / 2;
        float[] cos = new float[b * l * headDim];
        float[] sin = new float[cos.length];
        int o = 0;
        for (int bi = 0; bi < b; bi++) {
            for (int li = 0; li < l; li++) {
                for (int d = 0; d < headDim; d++) {
                    float angle = (float) positions[axisOfLane[d]][bi][li] * invFreq[d % half];
                    cos[o] = (float) Math.cos(angle);
                    sin[o] = (float) Math.sin(angle);
                    o++;
                }
            }
        }
        long[] shape = {b, 1, l, headDim};
        Tensor c = Ops.fromFloats(cos, shape, device);
        Tensor s = Ops.fromFloats(sin, shape, device);
        return new Tensor[] {Ops.as(c, dtype), Ops.as(s, dtype)};
    }

    /** {@code x * cos + rotate_half(x) * sin} on (B, H, L, headDim). */
    public static Tensor apply(Tensor x, Tensor cos, Tensor sin) {
        long d = x.size(-1);
        Tensor x1 = x.slice(-1, 0, d / 2);
        Tensor x2 = x.slice(-1, d / 2, d);
        Tensor rotated = Ops.concat(java.util.List.of(x2.neg(), x1), -1);
        return x.mul(cos).add(rotated.mul(sin));
    }

    /**
     * Text-only position ids as {@code get_rope_index} makes them without images: {@code cumsum(mask) - 1} per
     * row, padding positions set to 1, the same on all three axes.
     */
    public static long[][][] textPositions(boolean[][] mask) {
        int b = mask.length;
        long[][][] out = new long[3][b][];
        for (int i = 0; i < b; i++) {
            long[] p = new long[mask[i].length];
            long c = 0;
            for (int j = 0; j < p.length; j++) {
                if (mask[i][j]) {
                    c++;
                    p[j] = c - 1;
                } else {
                    p[j] = 1;
                }
            }
            out[0][i] = p;
            out[1][i] = p.clone();
            out[2][i] = p.clone();
        }
        return out;
    }
}
