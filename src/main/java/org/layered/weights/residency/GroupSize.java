package org.layered.weights.residency;

import org.layered.engine.DType;

import java.util.Map;
import java.util.function.Function;

/**
 * A weight group's size as residency and the memory planner count it, from the checkpoint's shapes or from a config
 * (before the model is downloaded).
 *
 * @param name           the group's name ({@link WeightGroup#name()})
 * @param elements       elements of all its tensors
 * @param linearElements elements of its linear-layer weights (which float8 storage quantises)
 * @param linearRows     output rows of those weights (one float32 scale each under float8)
 */
public record GroupSize(String name, long elements, long linearElements, long linearRows) {

    /** The size of {@code group} with tensor shapes looked up by full checkpoint name. */
    public static GroupSize of(WeightGroup group, Function<String, long[]> shapes) {
        long all = 0;
        long linear = 0;
        long rows = 0;
        for (String local : group.names()) {
            long[] shape = shapes.apply(group.fullName(local));
            long n = 1;
            for (long d : shape) {
                n = Math.multiplyExact(n, d);
            }
            all = Math.addExact(all, n);
            if (group.linear().contains(local)) {
                linear += n;
                rows += shape[0];
            }
        }
        return new GroupSize(group.name(), all, linear, rows);
    }

    /** {@link #of(WeightGroup, Function)} with the shapes in a map by full name. */
    public static GroupSize of(WeightGroup group, Map<String, long[]> shapes) {
        return of(group, name -> {
            long[] s = shapes.get(name);
            if (s == null) {
                throw new IllegalArgumentException(group.name() + ": no shape for " + name);
            }
            return s;
        });
    }

    /** Bytes held in {@code format}, computing in {@code dtype}: float8 linear weights take a byte and a row scale. */
    public long heldBytes(DType dtype, WeightFormat format) {
        if (format != WeightFormat.FP8) {
            return Math.multiplyExact(elements, (long) dtype.bytes());
        }
        return (elements - linearElements) * dtype.bytes() + linearElements * DType.F8_E4M3.bytes()
                + linearRows * DType.F32.bytes();
    }

    /** Bytes dequantisation allocates when the group is used: its linear weights in {@code dtype} under float8. */
    public long dequantizedBytes(DType dtype, WeightFormat format) {
        return format == WeightFormat.FP8 ? linearElements * dtype.bytes() : 0;
    }

    /** Bytes of the group as stored in a bf16 checkpoint (what reading it from the file moves). */
    public long storedBytes() {
        return elements * DType.BF16.bytes();
    }
}
