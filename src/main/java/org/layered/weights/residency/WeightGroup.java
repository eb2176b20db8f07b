package org.layered.weights.residency;

import java.util.List;

/**
 * Tensors that are materialised together: one transformer block, or the model's input or output layers.
 *
 * @param name   unique label of the group in its model, e.g. {@code block 7}
 * @param prefix the common name prefix in the checkpoint, e.g. {@code transformer_blocks.7.}
 * @param names  the tensor names below the prefix, e.g. {@code attn.to_q.weight}
 */
public record WeightGroup(String name, String prefix, List<String> names) {
    public WeightGroup {
        names = List.copyOf(names);
    }

    /** The checkpoint name of a local name. */
    public String fullName(String local) {
        return prefix + local;
    }
}
