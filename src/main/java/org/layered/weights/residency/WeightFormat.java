package org.layered.weights.residency;

import java.util.Locale;

/**
 * How a model's weights are held in memory: as read (in the compute dtype: bf16 on CUDA, float32 on the CPU), or with
 * the linear layers' weights as float8 (e4m3) with a float32 scale per output channel, dequantised group by group
 * right before use. Norms, embeddings and biases always stay in the compute dtype.
 */
public enum WeightFormat {
    /** The compute dtype (the checkpoint's bf16 on CUDA). */
    BF16("bf16"),
    /** Linear weights as float8 e4m3 + per-output-channel scales (half the bytes of bf16). */
    FP8("fp8");

    private final String key;

    WeightFormat(String key) {
        this.key = key;
    }

    /** The name users type: {@code bf16} or {@code fp8}. */
    public String key() {
        return key;
    }

    /** @throws IllegalArgumentException naming the accepted values */
    public static WeightFormat parse(String text) {
        String t = text == null ? "" : text.strip().toLowerCase(Locale.ROOT);
        for (WeightFormat f : values()) {
            if (f.key.equals(t)) {
                return f;
            }
        }
        throw new IllegalArgumentException("weights must be bf16 or fp8, got '" + text + "'");
    }

    @Override
    public String toString() {
        return key;
    }
}
