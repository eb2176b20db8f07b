package org.layered.model.text;

import java.util.Arrays;
import java.util.Random;

/**
 * Picks the next token from float32 last-token logits as transformers' {@code generate()} does: the repetition
 * penalty ({@code RepetitionPenaltyLogitsProcessor}), then argmax, or temperature / top-k / top-p and a draw.
 */
public final class NextToken {
    private NextToken() {
    }

    /**
     * {@code RepetitionPenaltyLogitsProcessor}: for every id seen (prompt and generated, each once), a logit
     * {@code s} becomes {@code s * penalty} when negative, else {@code s / penalty} (float32 arithmetic). In place.
     */
    public static void applyRepetitionPenalty(float[] logits, boolean[] seen, double penalty) {
        if (penalty == 1.0) {
            return;
        }
        float p = (float) penalty;
        for (int i = 0; i < logits.length; i++) {
            if (seen[i]) {
                float s = logits[i];
                logits[i] = s < 0 ? s * p : s / p;
            }
        }
    }

    /** The first index of the largest value ({@code torch.argmax}). */
    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best] || Float.isNaN(logits[i]) && !Float.isNaN(logits[best])) {
                best = i;
            }
        }
        return best;
    }

    /**
     * Samples after {@code TemperatureLogitsWarper}, {@code TopKLogitsWarper} (ties with the k-th value kept) and
     * {@code TopPLogitsWarper} (at least one token kept). {@code logits} is modified.
     */
    public static int sample(float[] logits, GenerationConfig g, Random random) {
        int n = logits.length;
        float t = (float) g.temperature();
        if (g.temperature() != 1.0) {
            for (int i = 0; i < n; i++) {
                logits[i] = logits[i] / t;
            }
        }
        if (g.topK() > 0 && g.topK() < n) {
            float[] sorted = logits.clone();
            Arrays.sort(sorted);
            float kth = sorted[n - g.topK()];
            for (int i = 0; i < n; i++) {
                if (logits[i] < kth) {
                    logits[i] = Float.NEGATIVE_INFINITY;
                }
            }
        }
        double[] probs = softmax(logits);
        if (g.topP() < 1.0) {
            Integer[] order = new Integer[n];
            for (int i = 0; i < n; i++) {
                order[i] = i;
            }
            Arrays.sort(order, (a, b) -> Double.compare(probs[a], probs[b])); // ascending, as upstream
            double cum = 0;
            for (int j = 0; j < n - 1; j++) { // the largest is always kept
                cum += probs[order[j]];
                if (cum <= 1 - g.topP()) {
                    logits[order[j]] = Float.NEGATIVE_INFINITY;
                }
            }
            double[] p2 = softmax(logits);
            System.arraycopy(p2, 0, probs, 0, n);
        }
        double u = random.nextDouble();
        double acc = 0;
        int last = -1;
        for (int i = 0; i < n; i++) {
            if (probs[i] > 0) {
                acc += probs[i];
                last = i;
                if (u < acc) {
                    return i;
                }
            }
        }
        return last < 0 ? argmax(logits) : last;
    }

    private static double[] softmax(float[] x) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : x) {
            max = Math.max(max, v);
        }
        double[] p = new double[x.length];
        double sum = 0;
        for (int i = 0; i < x.length; i++) {
            p[i] = x[i] == Float.NEGATIVE_INFINITY ? 0 : Math.exp(x[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= sum;
        }
        return p;
    }
}
