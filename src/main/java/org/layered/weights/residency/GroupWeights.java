package org.layered.weights.residency;

import org.layered.engine.Tensor;

import java.util.Map;

/** The materialised tensors of one {@link WeightGroup}, by local name, in the compute dtype on the compute device. */
public final class GroupWeights {
    private final WeightGroup group;
    private final Map<String, Tensor> tensors;

    GroupWeights(WeightGroup group, Map<String, Tensor> tensors) {
        this.group = group;
        this.tensors = Map.copyOf(tensors);
    }

    /** The tensor {@code local} (e.g. {@code attn.to_q.weight}). */
    public Tensor get(String local) {
        Tensor t = tensors.get(local);
        if (t == null) {
            throw new IllegalArgumentException(group.name() + " has no weight '" + local + "'");
        }
        return t;
    }

    /** The tensor or null when the group does not hold it. */
    public Tensor find(String local) {
        return tensors.get(local);
    }

    public WeightGroup group() {
        return group;
    }

    /** Bytes held (for reports). */
    public long bytes() {
        long n = 0;
        for (Tensor t : tensors.values()) {
            n += t.numel() * t.dtype().bytes();
        }
        return n;
    }
}
