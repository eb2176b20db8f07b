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

    /** A human-readable description of where the weights come from (for errors). */
    String describe();

    @Override
    void close() throws IOException;
}
