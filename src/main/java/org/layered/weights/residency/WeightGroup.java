package org.layered.weights.residency;

import java.util.List;
import java.util.Set;

/**
 * Tensors that are materialised together: one transformer block, or the model's input or output layers.
 *
 * @param name   unique label of the group in its model, e.g. {@code block 7}
 * @param prefix the common name prefix in the checkpoint, e.g. {@code transformer_blocks.7.}
 * @param names  the tensor names below the prefix, e.g. {@code attn.to_q.weight}
 * @param linear the names among {@code names} that are linear-layer weights [out, in], which
 *               {@link WeightFormat#FP8} may hold as float8 (not embeddings, norms or biases)
 */
public record WeightGroup(String name, String prefix, List<String> names, Set<String> linear) {
    public WeightGroup {
        names = List.copyOf(names);
        linear = Set.copyOf(linear);
        if (!names.containsAll(linear)) {
            throw new IllegalArgumentException(name + ": linear weights must be among the group's names");
        }
    }

    /** A group without weights that float8 could hold. */
    public WeightGroup(String name, String prefix, List<String> names) {
        this(name, prefix, names, Set.of());
    }

    /** The checkpoint name of a local name. */
    public String fullName(String local) {
        return prefix + local;
    }
}
