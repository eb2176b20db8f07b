package org.layered.model.text.vision;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The integer bookkeeping of the Qwen2.5-VL vision tower for a list of image grids
 * ({@code Qwen2_5_VisionTransformerPretrainedModel.rot_pos_emb / get_window_index / forward}):
 * <ul>
 *   <li>{@link #rowPositions()} / {@link #colPositions()}: each patch's row and column inside its image, in the
 *       processor's (merge-block) order, repeated for every temporal slice;</li>
 *   <li>{@link #windowIndex()}: the merged-token order used inside the tower: per image, windows of
 *       {@code window_size / merge / patch} (4) merged tokens square, row-major over windows, the window's tokens
 *       row-major; the grid is padded to whole windows (a side that is an exact multiple still gets one extra,
 *       empty window row/column, as upstream pads {@code ws - n % ws});</li>
 *   <li>{@link #cuWindowSeqlensRaw()} (per window, empty ones included) and {@link #cuWindowSeqlens()} (after
 *       {@code unique_consecutive}): patch boundaries of the windows, used by the window-attention blocks;</li>
 *   <li>{@link #cuSeqlens()}: patch boundaries of each image frame, used by the full-attention blocks.</li>
 * </ul>
 */
public final class VisionLayout {
    private final long[][] grids;
    private final int patches;
    private final int[] rowPos;
    private final int[] colPos;
    private final int[] windowIndex;
    private final int[] reverseIndex;
    private final int[] cuWindowRaw;
    private final int[] cuWindow;
    private final int[] cuSeq;
    private final int maxGrid;

    /**
     * @param grids {@code image_grid_thw} rows (t, h, w); h and w must be multiples of the merge size
     */
    public VisionLayout(long[][] grids, VisionConfig config) {
        int m = config.spatialMergeSize();
        int unit = m * m;
        int vws = config.windowSize() / m / config.patchSize();
        this.grids = new long[grids.length][];
        int total = 0;
        int max = 0;
        for (int i = 0; i < grids.length; i++) {
            long[] g = grids[i];
            if (g.length != 3 || g[0] < 1 || g[1] < 1 || g[2] < 1 || g[1] % m != 0 || g[2] % m != 0) {
                throw new IllegalArgumentException("image grid " + Arrays.toString(g) + " must be (t, h, w) with h "
                        + "and w positive multiples of spatial_merge_size " + m);
            }
            this.grids[i] = g.clone();
            total = Math.addExact(total, Math.toIntExact(g[0] * g[1] * g[2]));
            max = (int) Math.max(max, Math.max(g[1], g[2]));
        }
        if (grids.length == 0) {
            throw new IllegalArgumentException("no image grids");
        }
        this.patches = total;
        this.maxGrid = max;

        rowPos = new int[total];
        colPos = new int[total];
        int o = 0;
        for (long[] g : grids) {
            int t = (int) g[0];
            int h = (int) g[1];
            int w = (int) g[2];
            for (int ti = 0; ti < t; ti++) {
                for (int bh = 0; bh < h / m; bh++) {
                    for (int bw = 0; bw < w / m; bw++) {
                        for (int mh = 0; mh < m; mh++) {
                            for (int mw = 0; mw < m; mw++) {
                                rowPos[o] = bh * m + mh;
                                colPos[o] = bw * m + mw;
                                o++;
                            }
                        }
                    }
                }
            }
        }

        List<Integer> index = new ArrayList<>();
        List<Integer> cuRaw = new ArrayList<>();
        cuRaw.add(0);
        int base = 0;
        for (long[] g : grids) {
            int t = (int) g[0];
            int lh = (int) g[1] / m;
            int lw = (int) g[2] / m;
            int padH = vws - lh % vws;
            int padW = vws - lw % vws;
            int nwh = (lh + padH) / vws;
            int nww = (lw + padW) / vws;
            for (int ti = 0; ti < t; ti++) {
                for (int wh = 0; wh < nwh; wh++) {
                    for (int ww = 0; ww < nww; ww++) {
                        int count = 0;
                        for (int y = wh * vws; y < (wh + 1) * vws; y++) {
                            for (int x = ww * vws; x < (ww + 1) * vws; x++) {
                                if (y < lh && x < lw) {
                                    index.add(base + (ti * lh + y) * lw + x);
                                    count++;
                                }
                            }
                        }
                        cuRaw.add(cuRaw.get(cuRaw.size() - 1) + count * unit);
                    }
                }
            }
            base += t * lh * lw;
        }
        windowIndex = index.stream().mapToInt(Integer::intValue).toArray();
        reverseIndex = new int[windowIndex.length];
        for (int i = 0; i < windowIndex.length; i++) {
            reverseIndex[windowIndex[i]] = i;
        }
        cuWindowRaw = cuRaw.stream().mapToInt(Integer::intValue).toArray();
        List<Integer> uniq = new ArrayList<>();
        for (int v : cuWindowRaw) {
            if (uniq.isEmpty() || uniq.get(uniq.size() - 1) != v) {
                uniq.add(v);
            }
        }
        cuWindow = uniq.stream().mapToInt(Integer::intValue).toArray();

        List<Integer> cs = new ArrayList<>();
        cs.add(0);
        for (long[] g : grids) {
            for (int ti = 0; ti < g[0]; ti++) {
                cs.add(cs.get(cs.size() - 1) + (int) (g[1] * g[2]));
            }
        }
        cuSeq = cs.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Total patches (rows of {@code pixel_values}). */
    public int patches() {
        return patches;
    }

    /** Merged tokens the tower returns. */
    public int mergedTokens() {
        return windowIndex.length;
    }

    /** The largest grid side ({@code grid_thw[:, 1:].max()}). */
    public int maxGridSide() {
        return maxGrid;
    }

    public long[][] grids() {
        long[][] out = new long[grids.length][];
        for (int i = 0; i < grids.length; i++) {
            out[i] = grids[i].clone();
        }
        return out;
    }

    public int[] rowPositions() {
        return rowPos.clone();
    }

    public int[] colPositions() {
        return colPos.clone();
    }

    /** {@code get_window_index(grid_thw)[0]}. */
    public int[] windowIndex() {
        return windowIndex.clone();
    }

    /** {@code argsort(window_index)}: where each merged token of the processor order sits in window order. */
    public int[] reverseIndex() {
        return reverseIndex.clone();
    }

    /** {@code get_window_index(grid_thw)[1]}, before {@code unique_consecutive}. */
    public int[] cuWindowSeqlensRaw() {
        return cuWindowRaw.clone();
    }

    /** Window boundaries in patches, after {@code unique_consecutive}. */
    public int[] cuWindowSeqlens() {
        return cuWindow.clone();
    }

    /** Per-frame boundaries in patches. */
    public int[] cuSeqlens() {
        return cuSeq.clone();
    }
}
