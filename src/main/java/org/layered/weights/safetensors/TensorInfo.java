package org.layered.weights.safetensors;

import java.util.Arrays;
import java.util.Objects;
import org.layered.engine.DType;

/**
 * One header entry of a safetensors file.
 *
 * @param name tensor name as written in the header
 * @param dtype element type
 * @param shape dimensions, row-major (empty for a scalar); copied on the way in and out, so instances are immutable
 * @param begin first byte, relative to the start of the data section
 * @param end one past the last byte, relative to the start of the data section
 */
public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {

    /** Copies {@code shape}; checks only what makes the record meaningless (the reader validates the rest). */
    public TensorInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        shape = Objects.requireNonNull(shape, "shape").clone();
        if (begin < 0 || end < begin) {
            throw new IllegalArgumentException("tensor '" + name + "': bad byte range [" + begin + ", " + end + ")");
        }
    }

    /** A copy of the dimensions. */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Number of dimensions. */
    public int rank() {
        return shape.length;
    }

    /** Size of dimension {@code i}. */
    public long dim(int i) {
        return shape[i];
    }

    /**
     * Number of elements (1 for a scalar).
     *
     * @throws ArithmeticException if it does not fit a long (the reader never creates such an entry)
     */
    public long numel() {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** Number of data bytes, {@code numel() * dtype().bytes()}; equals {@code end - begin} for validated entries. */
    public long byteSize() {
        return Math.multiplyExact(numel(), (long) dtype.bytes());
    }

    /** Whether both entries have the same name, type, shape and offsets (the record default compares array identity). */
    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t && name.equals(t.name) && dtype == t.dtype && Arrays.equals(shape, t.shape)
                && begin == t.begin && end == t.end;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, dtype, Arrays.hashCode(shape), begin, end);
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape) + " @[" + begin + ", " + end + ")";
    }
}
