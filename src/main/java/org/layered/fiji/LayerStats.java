package org.layered.fiji;

import org.layered.image.RgbaImage;

import java.util.ArrayList;
import java.util.List;

/**
 * Per-layer figures for the Results table: how much of the image a layer covers and where.
 *
 * @param layer     1-based, 1 = bottom
 * @param coverage  fraction of pixels with alpha >= 128 (more opaque than transparent)
 * @param meanAlpha mean alpha over all pixels, 0..1
 * @param x         bounding box of the pixels with alpha >= 128 (all 0 when there are none)
 */
public record LayerStats(int layer, double coverage, double meanAlpha, int x, int y, int width, int height) {
    /** Alpha at or above which a pixel counts as covered. */
    public static final int COVERED = 128;

    public static LayerStats of(int layer, RgbaImage image) {
        byte[] px = image.rgba();
        int w = image.width();
        int h = image.height();
        long covered = 0;
        long alphaSum = 0;
        int minX = Integer.MAX_VALUE;
        int minY = Integer.MAX_VALUE;
        int maxX = -1;
        int maxY = -1;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int a = px[4 * (y * w + x) + 3] & 0xFF;
                alphaSum += a;
                if (a >= COVERED) {
                    covered++;
                    minX = Math.min(minX, x);
                    minY = Math.min(minY, y);
                    maxX = Math.max(maxX, x);
                    maxY = Math.max(maxY, y);
                }
            }
        }
        double n = (double) w * h;
        if (maxX < 0) {
            return new LayerStats(layer, 0, alphaSum / (255.0 * n), 0, 0, 0, 0);
        }
        return new LayerStats(layer, covered / n, alphaSum / (255.0 * n), minX, minY, maxX - minX + 1,
                maxY - minY + 1);
    }

    public static List<LayerStats> of(List<RgbaImage> layers) {
        List<LayerStats> out = new ArrayList<>(layers.size());
        for (int i = 0; i < layers.size(); i++) {
            out.add(of(i + 1, layers.get(i)));
        }
        return out;
    }
}
