package org.layered.engine;

/**
 * The dtype policy: which floating type activations and (when materialised for a block) weights are computed in.
 * Weights stay in their stored dtype until a block needs them.
 */
public enum Precision {
    /** float32 compute: the default on CPU, where bf16 matmuls are slow through DJL and fp16 is 60-80x slower. */
    FLOAT32(DType.F32),
    /** bfloat16 compute: the default on CUDA, as upstream runs the model. */
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
}
