package org.layered.model.transformer;

import org.layered.engine.ComputeDevice;
import org.layered.engine.Ops;
import org.layered.engine.Tensor;

import java.util.List;

/**
 * Upstream {@code QwenEmbedLayer3DRope} ({@code scale_rope=True}) and {@code apply_rotary_emb_qwen(use_real=False)}.
 *
 * <p>Each token has a position triple (frame, row, col). Entry {@code i} of the frame list that is not the last one
 * gets frame positions {@code i .. i+frames-1}; the last entry (the condition image) gets frame position -1. Rows and
 * columns are centred: for size n the indices run {@code -(n - n/2) .. n/2 - 1}. Text token k gets
 * {@code offset + k} on all three axes, with {@code offset = max(max over entries of max(h/2, w/2), entries - 1)}.
 * The angle for axis a (dim d) and pair j is {@code pos * 1/10000^(2j/d)}, all in float32 as upstream; the
 * factors {@code cos + i sin} multiply the interleaved pairs {@code (x[2p], x[2p+1])} of each head vector, pairs
 * ordered frame axis, row axis, column axis.
 */
public final class Layer3DRope {
    private final int[] axesDims;
    private final float[][] invFreq; // per axis, d/2 inverse frequencies (float32 as upstream)
    private final int pairs;

    /** RoPE for the given per-axis dims (even; their sum is the head dimension), theta 10000. */
    public Layer3DRope(int[] axesDims) {
        this(axesDims, TransformerConfig.ROPE_THETA);
    }

    public Layer3DRope(int[] axesDims, double theta) {
        if (axesDims.length != 3) {
            throw new IllegalArgumentException("Layer3D RoPE needs 3 axes, got " + axesDims.length);
        }
        this.axesDims = axesDims.clone();
        this.invFreq = new float[3][];
        int p = 0;
        for (int a = 0; a < 3; a++) {
            int d = axesDims[a];
            if (d < 0 || d % 2 != 0) {
                throw new IllegalArgumentException("RoPE axis dims must be even, got " + d);
            }
            invFreq[a] = new float[d / 2];
            for (int j = 0; j < d / 2; j++) {
                // torch: 1.0 / torch.pow(theta, torch.arange(0, d, 2).float().div(d)), every step in float32
                float exponent = (float) (2 * j) / (float) d;
                float power = (float) Math.pow(theta, exponent);
                invFreq[a][j] = 1.0f / power;
            }
            p += d / 2;
        }
        this.pairs = p;
    }

    /** Number of complex pairs per head vector (head dim / 2). */
    public int pairs() {
        return pairs;
    }

    /** The per-axis dims. */
    public int[] axesDims() {
        return axesDims.clone();
    }

    /** Where text positions start for a frame list (upstream's {@code max_vid_index}). */
    public static int textOffset(List<FrameShape> shapes) {
        if (shapes.isEmpty()) {
            throw new IllegalArgumentException("the frame list is empty");
        }
        int max = 0;
        for (FrameShape s : shapes) {
            max = Math.max(max, Math.max(s.height() / 2, s.width() / 2));
        }
        return Math.max(max, shapes.size() - 1);
    }

    /**
     * Position triples (frame, row, col) of every image token, frame-major then row-major, as a {@code [S][3]} array.
     */
    public static long[][] imagePositions(List<FrameShape> shapes) {
        if (shapes.isEmpty()) {
            throw new IllegalArgumentException("the frame list is empty");
        }
        int last = shapes.size() - 1;
        if (shapes.get(last).frames() != 1) {
            throw new IllegalArgumentException("the condition entry (last of the frame list) must have 1 frame, got "
                    + shapes.get(last));
        }
        long[][] pos = new long[FrameShape.tokens(shapes)][];
        int t = 0;
        for (int idx = 0; idx < shapes.size(); idx++) {
            FrameShape s = shapes.get(idx);
            int h = s.height();
            int w = s.width();
            for (int f = 0; f < s.frames(); f++) {
                long framePos = idx == last ? -1 : idx + f;
                for (int y = 0; y < h; y++) {
                    long row = y - (h - h / 2);
                    for (int x = 0; x < w; x++) {
                        long col = x - (w - w / 2);
                        pos[t++] = new long[] {framePos, row, col};
                    }
                }
            }
        }
        return pos;
    }

    /** Position triples of the text tokens ({@code offset + k} on every axis). */
    public static long[][] textPositions(List<FrameShape> shapes, int textLength) {
        int offset = textOffset(shapes);
        long[][] pos = new long[textLength][];
        for (int k = 0; k < textLength; k++) {
            long p = offset + k;
            pos[k] = new long[] {p, p, p};
        }
        return pos;
    }

    /** Complex RoPE factors for a set of position triples: row-major {@code [n][pairs]} real and imaginary parts. */
    public Table table(long[][] positions) {
        int n = positions.length;
        float[] cos = new float[n * pairs];
        float[] sin = new float[n * pairs];
        for (int i = 0; i < n; i++) {
            int c = i * pairs;
            for (int a = 0; a < 3; a++) {
                float pos = (float) positions[i][a];
                for (float inv : invFreq[a]) {
                    float angle = pos * inv; // torch.outer(index, inv): float32 product
                    cos[c] = (float) Math.cos(angle);
                    sin[c] = (float) Math.sin(angle);
                    c++;
                }
            }
        }
        return new Table(n, pairs, cos, sin);
    }

    /** Image and text tables for a frame list and text length (upstream {@code pos_embed(img_shapes, txt_len)}). */
    public Tables tables(List<FrameShape> shapes, int textLength) {
        return new Tables(table(imagePositions(shapes)), table(textPositions(shapes, textLength)));
    }

    /** RoPE factors of {@code rows} tokens: {@code cos[r * pairs + p]}, {@code sin[...]}. */
    public record Table(int rows, int pairs, float[] cos, float[] sin) {
        /**
         * The factors as one float32 tensor {@code (1, rows, 1, pairs, 2)} holding (cos, sin) per token and pair, ready
         * to broadcast over (B, S, H, pairs) as the complex numbers {@code cos + i sin}
         * ({@link Ops#rotaryEmbedding}).
         */
        public Tensor tensor(ComputeDevice device) {
            float[] both = new float[2 * cos.length];
            for (int k = 0; k < cos.length; k++) {
                both[2 * k] = cos[k];
                both[2 * k + 1] = sin[k];
            }
            return Ops.fromFloats(both, new long[] {1, rows, 1, pairs, 2}, device);
        }
    }

    /** The image-token and text-token tables of one forward. */
    public record Tables(Table image, Table text) {
    }

    /**
     * Rotates interleaved pairs of {@code x} (B, S, H, D) by the factors {@code rope} (1, S, 1, D/2, 2) of
     * {@link Table#tensor}, in float32 (as upstream, which goes through complex64), returning x's dtype.
     */
    public static Tensor rotate(Tensor x, Tensor rope) {
        long[] s = x.shape();
        if (s.length != 4 || s[3] % 2 != 0) {
            throw new IllegalArgumentException("RoPE input must be (B, S, H, D) with even D, got " + x);
        }
        return Ops.rotaryEmbedding(x, rope);
    }
}
