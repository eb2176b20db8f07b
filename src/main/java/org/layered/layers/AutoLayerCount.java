package org.layered.layers;

import org.layered.image.RgbaImage;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The automatic layer count: a decomposition made at the maximum number of layers, reduced to the layers that
 * matter. Two rules, applied in this order until neither applies:
 * <ol>
 *   <li><b>Drop</b> a layer whose removal changes the composite negligibly: its <em>contribution</em> (the mean
 *       absolute change of the composite when it is left out, premultiplied R, G, B and alpha, in 8-bit levels) is
 *       below {@link #MIN_CONTRIBUTION} <em>and</em> its <em>visible area</em> (the fraction of pixels where leaving it
 *       out changes some premultiplied channel by {@link #VISIBLE_LEVELS} levels or more) is below
 *       {@link #MIN_VISIBLE_AREA}. Both must hold: a faint veil over everything changes every pixel a little (a
 *       high contribution, no visible area), a small sharp object changes few pixels a lot (a small contribution, a
 *       visible area). One layer is dropped at a time, the least contributing first, and the others are measured
 *       again: of two identical layers each hides the other, and only one may go.</li>
 *   <li><b>Merge</b> two neighbouring layers that are near-duplicates: the intersection over union of their
 *       <em>coverage</em> masks (alpha &ge; {@value #COVERED}) is at least {@link #MERGE_MIN_IOU} and the mean
 *       distance of their straight colours over the intersection (Euclidean in R, G, B, 8-bit levels) is at most
 *       {@link #MERGE_MAX_COLOUR}. They become their "over" composite, in the lower one's place. Only neighbours
 *       are merged, so the composite stays exactly what it was; the most overlapping pair first.</li>
 * </ol>
 * At least one layer always stays. Every original layer gets a {@link Decision}.
 */
public final class AutoLayerCount {
    /** The largest number of layers an automatic count decomposes into unless told otherwise. */
    public static final int DEFAULT_MAX_LAYERS = 8;
    /** Below this mean change of the composite (8-bit levels) a layer's contribution is negligible... */
    public static final double MIN_CONTRIBUTION = 0.5;
    /** ...provided the pixels it changes by at least {@link #VISIBLE_LEVELS} are fewer than this fraction. */
    public static final double MIN_VISIBLE_AREA = 0.002;
    /** A change of a premultiplied channel by this many 8-bit levels counts as visible. */
    public static final int VISIBLE_LEVELS = 16;
    /** Alpha at or above which a pixel counts as covered by a layer. */
    public static final int COVERED = 128;
    /** Neighbours whose coverage masks overlap at least this much (intersection over union) ... */
    public static final double MERGE_MIN_IOU = 0.8;
    /** ... and whose colours differ by at most this (mean RGB distance over the intersection) are merged. */
    public static final double MERGE_MAX_COLOUR = 24;

    private AutoLayerCount() {}

    /** What happened to one of the layers decomposed. */
    public enum Action { KEPT, DROPPED, MERGED }

    /**
     * The fate of original layer {@code layer} (1 = bottom), with its figures as first measured among all layers.
     *
     * @param coverage     fraction of pixels with alpha &ge; {@value #COVERED}
     * @param contribution mean change of the composite when left out (8-bit levels), when it was decided on
     * @param visibleArea  fraction of pixels that leaving it out changes visibly, when it was decided on
     * @param into         the layer of the result it became (1 = bottom), 0 when dropped
     * @param reason       one line: why
     */
    public record Decision(int layer, double coverage, double contribution, double visibleArea, Action action,
            int into, String reason) {}

    /**
     * The reduced layers.
     *
     * @param layers    the layers kept or merged, bottom to top
     * @param sources   for each of them, the original layers (1-based) it holds
     * @param decisions one per original layer, in their order
     */
    public record Result(List<RgbaImage> layers, List<List<Integer>> sources, List<Decision> decisions) {
        public Result {
            layers = List.copyOf(layers);
            sources = sources.stream().map(List::copyOf).toList();
            decisions = List.copyOf(decisions);
        }
    }

    /** How much a layer matters to the composite of a stack. */
    record Measure(double coverage, double contribution, double visibleArea) {
        boolean negligible() {
            return contribution < MIN_CONTRIBUTION && visibleArea < MIN_VISIBLE_AREA;
        }
    }

    /** Reduces {@code layers} (bottom to top) by the rules of the class description. */
    public static Result reduce(List<RgbaImage> layers) {
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("no layers to count");
        }
        List<RgbaImage> current = new ArrayList<>(layers);
        List<List<Integer>> sources = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            sources.add(new ArrayList<>(List.of(i + 1)));
        }
        Measure[] first = new Measure[layers.size()];
        String[] reasons = new String[layers.size()];
        Action[] actions = new Action[layers.size()];
        Measure[] decided = new Measure[layers.size()];

        boolean changed = true;
        while (changed) {
            changed = false;
            // 1. drop the least contributing negligible layer, if any
            while (current.size() > 1) {
                List<Measure> m = measure(current);
                for (int i = 0; i < m.size(); i++) {
                    int orig = sources.get(i).get(0) - 1;
                    if (first[orig] == null && sources.get(i).size() == 1) {
                        first[orig] = m.get(i);
                    }
                }
                int worst = -1;
                for (int i = 0; i < m.size(); i++) {
                    if (m.get(i).negligible() && (worst < 0 || m.get(i).contribution() < m.get(worst).contribution())) {
                        worst = i;
                    }
                }
                if (worst < 0) {
                    break;
                }
                Measure w = m.get(worst);
                for (int orig : sources.get(worst)) {
                    actions[orig - 1] = Action.DROPPED;
                    decided[orig - 1] = w;
                    reasons[orig - 1] = String.format(Locale.ROOT, "dropped: leaving it out changes the composite by "
                            + "%.2f levels on average (< %.1f) and visibly on %.3f%% of the pixels (< %.1f%%)",
                            w.contribution(), MIN_CONTRIBUTION, 100 * w.visibleArea(), 100 * MIN_VISIBLE_AREA);
                }
                current.remove(worst);
                sources.remove(worst);
                changed = true;
            }
            // 2. merge the most overlapping pair of near-duplicate neighbours, if any
            int best = -1;
            double bestIou = -1;
            double bestColour = 0;
            for (int i = 0; i + 1 < current.size(); i++) {
                double[] s = similarity(current.get(i), current.get(i + 1));
                if (s[0] >= MERGE_MIN_IOU && s[1] <= MERGE_MAX_COLOUR && s[0] > bestIou) {
                    best = i;
                    bestIou = s[0];
                    bestColour = s[1];
                }
            }
            if (best >= 0) {
                List<Integer> lower = sources.get(best);
                List<Integer> upper = sources.get(best + 1);
                for (int orig : lower) {
                    reasons[orig - 1] = mergeReason(upper, bestIou, bestColour, reasons[orig - 1]);
                    actions[orig - 1] = Action.MERGED;
                }
                for (int orig : upper) {
                    reasons[orig - 1] = mergeReason(lower, bestIou, bestColour, reasons[orig - 1]);
                    actions[orig - 1] = Action.MERGED;
                }
                current.set(best, Compositor.over(List.of(current.get(best), current.get(best + 1))));
                current.remove(best + 1);
                lower.addAll(upper);
                sources.remove(best + 1);
                changed = true;
            }
        }

        List<Measure> last = measure(current);
        List<Decision> decisions = new ArrayList<>();
        for (int orig = 1; orig <= layers.size(); orig++) {
            int into = 0;
            for (int j = 0; j < sources.size(); j++) {
                if (sources.get(j).contains(orig)) {
                    into = j + 1;
                }
            }
            Measure f = first[orig - 1] != null ? first[orig - 1] : measure(layers).get(orig - 1);
            Measure m = decided[orig - 1] != null ? decided[orig - 1] : into > 0 ? last.get(into - 1) : f;
            Action a = actions[orig - 1] == null ? Action.KEPT : actions[orig - 1];
            String reason = a == Action.KEPT ? String.format(Locale.ROOT, "kept: leaving it out changes the "
                    + "composite by %.2f levels on average and visibly on %.2f%% of the pixels", m.contribution(),
                    100 * m.visibleArea()) : reasons[orig - 1];
            decisions.add(new Decision(orig, f.coverage(), m.contribution(), m.visibleArea(), a, into,
                    reason + (into > 0 ? "; now layer " + into : "")));
        }
        return new Result(current, sources, decisions);
    }

    private static String mergeReason(List<Integer> with, double iou, double colour, String earlier) {
        String r = String.format(Locale.ROOT, "merged with original layer%s %s: coverage overlap %.2f (>= %.2f), "
                + "colour distance %.1f levels (<= %.0f)", with.size() == 1 ? "" : "s",
                String.join("+", with.stream().map(String::valueOf).toList()), iou, MERGE_MIN_IOU, colour,
                MERGE_MAX_COLOUR);
        return earlier == null ? r : earlier + "; " + r;
    }

    /**
     * Each layer's coverage, contribution and visible area within {@code layers}, computed pixel by pixel in
     * premultiplied doubles: the composite without layer k is the layers above it "over" the layers below it, so one
     * pass over the prefix and suffix composites gives every layer's figures.
     */
    static List<Measure> measure(List<RgbaImage> layers) {
        int n = layers.size();
        byte[][] px = new byte[n][];
        for (int k = 0; k < n; k++) {
            px[k] = layers.get(k).rgba();
        }
        int pixels = px[0].length / 4;
        double[] sum = new double[n];
        long[] visible = new long[n];
        long[] covered = new long[n];
        double[][] below = new double[n + 1][4]; // below[k]: composite of layers 0..k-1, premultiplied, 0..255
        double[][] above = new double[n + 1][4]; // above[k]: composite of layers k..n-1
        for (int p = 0; p < pixels; p++) {
            int o = 4 * p;
            for (int k = 0; k < n; k++) {
                overPixel(px[k], o, below[k], below[k + 1]);
                if ((px[k][o + 3] & 0xFF) >= COVERED) {
                    covered[k]++;
                }
            }
            for (int k = n - 1; k >= 0; k--) {
                // above[k] = above[k+1] over layer k
                double a = above[k + 1][3] / 255;
                double la = (px[k][o + 3] & 0xFF) / 255.0;
                for (int c = 0; c < 3; c++) {
                    above[k][c] = above[k + 1][c] + (px[k][o + c] & 0xFF) * la * (1 - a);
                }
                above[k][3] = above[k + 1][3] + 255 * la * (1 - a);
            }
            double[] all = below[n];
            for (int k = 0; k < n; k++) {
                double a = above[k + 1][3] / 255;
                boolean v = false;
                for (int c = 0; c < 4; c++) {
                    double without = above[k + 1][c] + below[k][c] * (1 - a);
                    double d = Math.abs(all[c] - without);
                    sum[k] += d;
                    v |= d >= VISIBLE_LEVELS;
                }
                if (v) {
                    visible[k]++;
                }
            }
        }
        List<Measure> out = new ArrayList<>(n);
        for (int k = 0; k < n; k++) {
            out.add(new Measure(covered[k] / (double) pixels, sum[k] / (4.0 * pixels), visible[k] / (double) pixels));
        }
        return out;
    }

    /** {@code to} = the pixel of {@code layer} at {@code o} over {@code from} (premultiplied, 0..255). */
    private static void overPixel(byte[] layer, int o, double[] from, double[] to) {
        double a = (layer[o + 3] & 0xFF) / 255.0;
        for (int c = 0; c < 3; c++) {
            to[c] = (layer[o + c] & 0xFF) * a + from[c] * (1 - a);
        }
        to[3] = 255 * a + from[3] * (1 - a);
    }

    /**
     * The intersection over union of the coverage masks of {@code a} and {@code b}, and the mean Euclidean RGB
     * distance of their straight colours over the intersection (infinite when they do not intersect).
     */
    static double[] similarity(RgbaImage a, RgbaImage b) {
        byte[] x = a.rgba();
        byte[] y = b.rgba();
        long both = 0;
        long either = 0;
        double distance = 0;
        for (int p = 0; p < x.length; p += 4) {
            boolean inA = (x[p + 3] & 0xFF) >= COVERED;
            boolean inB = (y[p + 3] & 0xFF) >= COVERED;
            if (inA || inB) {
                either++;
            }
            if (inA && inB) {
                both++;
                double s = 0;
                for (int c = 0; c < 3; c++) {
                    double d = (x[p + c] & 0xFF) - (y[p + c] & 0xFF);
                    s += d * d;
                }
                distance += Math.sqrt(s);
            }
        }
        double iou = either == 0 ? 0 : (double) both / either;
        return new double[] {iou, both == 0 ? Double.POSITIVE_INFINITY : distance / both};
    }
}
