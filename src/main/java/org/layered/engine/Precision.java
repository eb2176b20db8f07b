package org.layered.engine;

/**
 * The dtype policy: which floating type activations and (when materialised for a block) weights are computed in.
 * Weights stay in their stored dtype until a block needs them.
 */
public enum Precision {
    /**
     * float32 compute: the default on CPU (exact to upstream's float32 within rounding; fp16 is 60-80x slower there,
     * and bf16 is only faster on CPUs with native bf16, see {@link CpuFeatures}).
     */
    FLOAT32(DType.F32),
    /**
     * bfloat16 compute: the default on CUDA, as upstream runs the model; an opt-in on CPUs with native bf16, where
     * matmuls run several times faster (convolutions stay float32 on the CPU, see {@link Ops#conv2d}).
     */
    BFLOAT16(DType.BF16),
    /** float64 compute: for reference reruns that bound the float32 rounding error, never for production. */
    FLOAT64(DType.F64);

    private final DType dtype;

    Precision(DType dtype) {
        this.dtype = dtype;
    }

    /** The element type compute tensors get. */
    public DType dtype() {
        return dtype;
    }

    /** The policy's default for a device: bf16 on CUDA, float32 elsewhere. */
    public static Precision defaultFor(ComputeDevice device) {
        return device.isCuda() ? BFLOAT16 : FLOAT32;
    }

    /**
     * What a user asked for: {@code auto} (or blank) = null, the device's default; {@code float32} (fp32);
     * {@code bf16} (bfloat16).
     *
     * @throws IllegalArgumentException naming the accepted values for anything else
     */
    public static Precision parseRequest(String text) {
        String t = text == null ? "" : text.strip().toLowerCase(java.util.Locale.ROOT);
        return switch (t) {
            case "", "auto" -> null;
            case "float32", "fp32" -> FLOAT32;
            case "bf16", "bfloat16" -> BFLOAT16;
            default -> throw new IllegalArgumentException("unknown precision '" + text
                    + "': use auto, float32 or bf16");
        };
    }

    /** {@code requested}, or the device's default when null ({@code auto}). */
    public static Precision of(Precision requested, ComputeDevice device) {
        return requested != null ? requested : defaultFor(device);
    }

    /** The name users write: {@code float32}, {@code bf16}, {@code float64}. */
    public String key() {
        return switch (this) {
            case FLOAT32 -> "float32";
            case BFLOAT16 -> "bf16";
            case FLOAT64 -> "float64";
        };
    }
}
