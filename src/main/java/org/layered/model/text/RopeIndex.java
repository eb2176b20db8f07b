package org.layered.model.text;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * M-RoPE position ids for text with images and videos, as {@code Qwen2_5_VLModel.get_rope_index} computes them.
 *
 * <p>Per row (padding, {@code mask == false}, is skipped and gets position 1 on all axes): text tokens get
 * {@code p, p, p} counting on from the previous maximum + 1; the {@code t*h*w/merge^2} tokens of an image placed
 * after a {@code <|vision_start|>} get {@code (s + t_index, s + row, s + col)} over the merged grid, with
 * {@code s} the start position and {@code t_index = frame * second_per_grid_t * tokens_per_second} (0 for images:
 * {@code second_per_grid_t} is 0; for videos it is truncated to an integer before the product, as upstream casts it
 * to the index dtype). The text after the image continues at (max position + 1).
 *
 * <p>{@link #deltas()} = {@code max position + 1 - sequence length} per row: during decoding, token at cache
 * position {@code c} gets position {@code c + delta} on all three axes.
 *
 * @param positions (3, B, L) position ids
 * @param deltas    (B) {@code mrope_position_deltas}
 */
public record RopeIndex(long[][][] positions, long[] deltas) {

    /**
     * {@code get_rope_index(input_ids, image_grid_thw, video_grid_thw, second_per_grid_ts, attention_mask)}.
     *
     * @param inputIds       (B, L) model ids
     * @param mask           (B, L) attention mask, or null for all ones
     * @param imageGrids     {@code image_grid_thw}, images in order of appearance over all rows; null if none
     * @param videoGrids     {@code video_grid_thw}; null if none
     * @param secondPerGridT per video, seconds per temporal grid step; null for 1.0 each
     * @param config         token ids, merge size and tokens per second
     */
    public static RopeIndex compute(long[][] inputIds, boolean[][] mask, long[][] imageGrids, long[][] videoGrids,
            double[] secondPerGridT, Qwen25VLConfig config) {
        int b = inputIds.length;
        int l = b == 0 ? 0 : inputIds[0].length;
        if (mask == null) {
            mask = new boolean[b][l];
            for (boolean[] r : mask) {
                Arrays.fill(r, true);
            }
        }
        long[][][] pos = new long[3][b][l];
        long[] deltas = new long[b];
        if (imageGrids == null && videoGrids == null) {
            long[][][] text = MultimodalRope.textPositions(mask);
            for (int i = 0; i < b; i++) {
                long max = Long.MIN_VALUE;
                for (long p : text[0][i]) {
                    max = Math.max(max, p);
                }
                deltas[i] = max + 1 - l;
            }
            return new RopeIndex(text, deltas);
        }
        int merge = config.vision().spatialMergeSize();
        long imageId = config.imageTokenId();
        long videoId = config.videoTokenId();
        long startId = config.visionStartTokenId();
        int imageIndex = 0;
        int videoIndex = 0;
        for (int i = 0; i < b; i++) {
            for (long[][] axis : pos) {
                Arrays.fill(axis[i], 1);
            }
            List<Long> tokens = new ArrayList<>();
            List<Integer> where = new ArrayList<>();
            for (int j = 0; j < l; j++) {
                if (mask[i][j]) {
                    tokens.add(inputIds[i][j]);
                    where.add(j);
                }
            }
            int n = tokens.size();
            int images = 0;
            int videos = 0;
            for (int j = 0; j + 1 < n; j++) {
                if (tokens.get(j) == startId) {
                    long next = tokens.get(j + 1);
                    if (next == imageId) {
                        images++;
                    } else if (next == videoId) {
                        videos++;
                    }
                }
            }
            long[][] llm = new long[3][n];
            int filled = 0;
            long nextStart = 0; // max position so far + 1
            int st = 0;
            int remainImages = images;
            int remainVideos = videos;
            for (int k = 0; k < images + videos; k++) {
                int edImage = remainImages > 0 ? indexOf(tokens, imageId, st) : -1;
                int edVideo = remainVideos > 0 ? indexOf(tokens, videoId, st) : -1;
                if (edImage < 0) {
                    edImage = n + 1;
                }
                if (edVideo < 0) {
                    edVideo = n + 1;
                }
                long[] g;
                long secondPerGrid;
                int ed;
                if (edImage < edVideo) {
                    if (imageGrids == null || imageIndex >= imageGrids.length) {
                        throw new IllegalArgumentException("more images in the ids than image grids");
                    }
                    g = imageGrids[imageIndex++];
                    secondPerGrid = 0;
                    remainImages--;
                    ed = edImage;
                } else {
                    if (videoGrids == null || videoIndex >= videoGrids.length) {
                        throw new IllegalArgumentException("more videos in the ids than video grids");
                    }
                    g = videoGrids[videoIndex];
                    secondPerGrid = secondPerGridT == null ? 1 : (long) secondPerGridT[videoIndex];
                    videoIndex++;
                    remainVideos--;
                    ed = edVideo;
                }
                int gt = (int) g[0];
                int gh = (int) g[1] / merge;
                int gw = (int) g[2] / merge;
                int textLen = ed - st;
                long stIdx = nextStart;
                for (int j = 0; j < textLen; j++) {
                    for (int a = 0; a < 3; a++) {
                        llm[a][filled] = stIdx + j;
                    }
                    filled++;
                }
                long max = textLen > 0 ? stIdx + textLen - 1 : stIdx - 1;
                long base = textLen + stIdx;
                for (int t = 0; t < gt; t++) {
                    long tIndex = t * secondPerGrid * config.vision().tokensPerSecond();
                    for (int y = 0; y < gh; y++) {
                        for (int x = 0; x < gw; x++) {
                            if (filled >= n) {
                                throw new IllegalArgumentException("the image grid " + Arrays.toString(g)
                                        + " needs more tokens than the ids hold");
                            }
                            llm[0][filled] = base + tIndex;
                            llm[1][filled] = base + y;
                            llm[2][filled] = base + x;
                            max = Math.max(max, Math.max(llm[0][filled], Math.max(llm[1][filled], llm[2][filled])));
                            filled++;
                        }
                    }
                }
                nextStart = max + 1;
                st = ed + gt * gh * gw;
            }
            if (st < n) {
                long stIdx = nextStart;
                int textLen = n - st;
                for (int j = 0; j < textLen; j++) {
                    for (int a = 0; a < 3; a++) {
                        llm[a][filled] = stIdx + j;
                    }
                    filled++;
                }
            }
            if (filled != n) {
                throw new IllegalArgumentException("row " + i + ": image tokens do not match the grids (" + filled
                        + " positions for " + n + " tokens)");
            }
            long max = Long.MIN_VALUE;
            for (int a = 0; a < 3; a++) {
                for (int j = 0; j < n; j++) {
                    pos[a][i][where.get(j)] = llm[a][j];
                    max = Math.max(max, llm[a][j]);
                }
            }
            deltas[i] = (n == 0 ? 0 : max + 1) - l;
        }
        return new RopeIndex(pos, deltas);
    }

    private static int indexOf(List<Long> tokens, long id, int from) {
        for (int j = from; j < tokens.size(); j++) {
            if (tokens.get(j) == id) {
                return j;
            }
        }
        return -1;
    }

    /** One sequence, no padding. */
    public static RopeIndex compute(long[] inputIds, long[][] imageGrids, Qwen25VLConfig config) {
        return compute(new long[][] {inputIds}, null, imageGrids, null, null, config);
    }

    /**
     * Positions of {@code count} tokens appended after {@code cacheLength} cached ones in row {@code row}: each
     * axis {@code cacheLength + delta + i}, shaped (3, 1, count).
     */
    public long[][][] decodePositions(int row, int cacheLength, int count) {
        long[][][] out = new long[3][1][count];
        for (int a = 0; a < 3; a++) {
            for (int i = 0; i < count; i++) {
                out[a][0][i] = cacheLength + deltas[row] + i;
            }
        }
        return out;
    }
}
