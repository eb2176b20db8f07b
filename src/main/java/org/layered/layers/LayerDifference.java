package org.layered.layers;

import org.layered.image.RgbaImage;

import java.util.List;
import java.util.Locale;

/**
 * How far two runs' 8-bit layers are apart, value by value (every channel of every pixel of every layer): how many
 * values differ by more than 1, 4 and 16 levels, the largest difference and the sum of all. Used to report what a
 * lower-precision setting (float8 weights, bf16 compute) or another way of computing (guidance as one batch) changes
 * in the result.
 *
 * @param values    values compared
 * @param overOne   values off by more than 1 level
 * @param overFour  values off by more than 4 levels
 * @param overSixteen values off by more than 16 levels
 * @param max       the largest difference in levels
 * @param total     the differences summed, in levels
 */
public record LayerDifference(long values, long overOne, long overFour, long overSixteen, int max, long total) {

    /** @throws IllegalArgumentException when the two lists differ in count or size of layers */
    public static LayerDifference of(List<RgbaImage> a, List<RgbaImage> b) {
        if (a.size() != b.size()) {
            throw new IllegalArgumentException("cannot compare " + a.size() + " layers with " + b.size());
        }
        long n = 0;
        long one = 0;
        long four = 0;
        long sixteen = 0;
        int max = 0;
        long total = 0;
        for (int i = 0; i < a.size(); i++) {
            byte[] x = a.get(i).rgba();
            byte[] y = b.get(i).rgba();
            if (x.length != y.length) {
                throw new IllegalArgumentException("layer " + (i + 1) + " differs in size");
            }
            for (int j = 0; j < x.length; j++) {
                int d = Math.abs((x[j] & 0xFF) - (y[j] & 0xFF));
                max = Math.max(max, d);
                total += d;
                one += d > 1 ? 1 : 0;
                four += d > 4 ? 1 : 0;
                sixteen += d > 16 ? 1 : 0;
            }
            n += x.length;
        }
        return new LayerDifference(n, one, four, sixteen, max, total);
    }

    /** The mean difference in levels. */
    public double mean() {
        return values == 0 ? 0 : (double) total / values;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%,d layer values: off by > 1 level %.2f %%, > 4 %.3f %%, > 16 %.4f %%, "
                + "max %d", values, 100.0 * overOne / values, 100.0 * overFour / values,
                100.0 * overSixteen / values, max);
    }
}
