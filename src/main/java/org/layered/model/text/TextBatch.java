package org.layered.model.text;

import java.util.Arrays;

/**
 * A batch of token sequences for the language model.
 *
 * @param inputIds      (B, L) ids, in the model's id space
 * @param attentionMask (B, L) true for real tokens, false for padding
 * @param positions     (3, B, L) M-RoPE position ids (temporal, height, width), or null for the text-only
 *                      positions of {@link MultimodalRope#textPositions}
 */
public record TextBatch(long[][] inputIds, boolean[][] attentionMask, long[][][] positions) {
    public TextBatch {
        if (inputIds.length == 0) {
            throw new IllegalArgumentException("empty batch");
        }
        int l = inputIds[0].length;
        if (l == 0) {
            throw new IllegalArgumentException("empty sequences");
        }
        if (attentionMask.length != inputIds.length) {
            throw new IllegalArgumentException("mask rows " + attentionMask.length + " != id rows " + inputIds.length);
        }
        for (int i = 0; i < inputIds.length; i++) {
            if (inputIds[i].length != l || attentionMask[i].length != l) {
                throw new IllegalArgumentException("row " + i + " is not " + l + " long (ids and mask must be "
                        + "rectangular, padded to one length)");
            }
        }
        if (positions == null) {
            positions = MultimodalRope.textPositions(attentionMask);
        } else if (positions.length != 3 || positions[0].length != inputIds.length
                || Arrays.stream(positions).flatMap(Arrays::stream).anyMatch(r -> r.length != l)) {
            throw new IllegalArgumentException("positions must be (3, " + inputIds.length + ", " + l + ")");
        }
    }

    /** A text-only batch: positions from the mask. */
    public TextBatch(long[][] inputIds, boolean[][] attentionMask) {
        this(inputIds, attentionMask, null);
    }

    /** One unpadded sequence. */
    public static TextBatch of(long[] ids) {
        boolean[] m = new boolean[ids.length];
        Arrays.fill(m, true);
        return new TextBatch(new long[][] {ids}, new boolean[][] {m});
    }

    public int batchSize() {
        return inputIds.length;
    }

    public int length() {
        return inputIds[0].length;
    }

    /** The ids flattened row-major. */
    long[] flatIds() {
        long[] out = new long[batchSize() * length()];
        for (int i = 0; i < batchSize(); i++) {
            System.arraycopy(inputIds[i], 0, out, i * length(), length());
        }
        return out;
    }

    /**
     * The attention mask of the sdpa path: causal and key-not-padding, (B, 1, L, L) flattened. A query row that would
     * see no key at all (possible only with left padding) may attend to itself instead of producing NaN; such rows
     * are padding and never used.
     */
    boolean[] causalPaddingMask() {
        int b = batchSize();
        int l = length();
        boolean[] m = new boolean[b * l * l];
        for (int bi = 0; bi < b; bi++) {
            for (int q = 0; q < l; q++) {
                int row = (bi * l + q) * l;
                boolean any = false;
                for (int k = 0; k <= q; k++) {
                    if (attentionMask[bi][k]) {
                        m[row + k] = true;
                        any = true;
                    }
                }
                if (!any) {
                    m[row + q] = true;
                }
            }
        }
        return m;
    }
}
