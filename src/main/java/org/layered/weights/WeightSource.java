package org.layered.weights;

import org.layered.engine.ComputeDevice;
import org.layered.engine.DType;
import org.layered.engine.Tensor;

import java.io.IOException;
import java.util.Set;

/**
 * Named weights of one model component, materialised on demand. Implementations read the files when a tensor is
 * loaded, so holding a source costs open file handles, not memory; every loaded tensor is a fresh copy in memory
 * (never a view of the file) and occupies memory only while its scope is open.
 */
public interface WeightSource extends AutoCloseable {
    /** All tensor names, sorted. */
    Set<String> names();

    boolean contains(String name);

    /** The stored shape. */
    long[] shape(String name);

    /** The stored dtype. */
    DType dtype(String name);

    /**
     * The tensor {@code name} in the current {@code TensorScope}, converted to {@code dtype} on {@code device}.
     *
     * @throws IOException naming the tensor and the file when it is missing or unreadable
     */
    Tensor load(String name, DType dtype, ComputeDevice device) throws IOException;

    /**
     * The tensor {@code name} as the checkpoint stores it when it stores it as float8: {values (F8_E4M3, [out, in]),
     * scale (float32 [out, 1])}, in the current {@code TensorScope} on {@code device}; null when it is not stored so
     * (float8 residency then quantises {@link #load}'s values itself, unless {@link #preQuantized}).
     */
    default Tensor[] loadFp8(String name, ComputeDevice device) throws IOException {
        return null;
    }

    /**
     * Whether the checkpoint is already quantised: float8 residency then holds its float8 layers as stored and
     * leaves the layers it kept in higher precision as they are (their choice, e.g. ComfyUI's "fp8mixed").
     */
    default boolean preQuantized() {
        return false;
    }

    /** A human-readable description of where the weights come from (for errors). */
    String describe();

    @Override
    void close() throws IOException;
}
