package org.layered.weights.residency;

import java.io.IOException;

/**
 * Where a model's weights live while it runs: the block loop asks for each group's weights right before running it,
 * inside the group's {@code TensorScope}, and does not care whether they were materialised long ago
 * ({@link ResidentWeights}) or are loaded now and freed when that scope closes ({@link StreamedWeights}).
 * Streaming a 60-block model through a GPU that cannot hold it is therefore a choice of residency, not another loop.
 */
public interface WeightResidency extends AutoCloseable {
    /**
     * The weights of {@code group}, valid at least until the innermost open {@code TensorScope} closes. Call it inside
     * the scope in which the weights are used.
     *
     * @throws IOException if a tensor cannot be read from the checkpoint
     */
    GroupWeights acquire(WeightGroup group) throws IOException;

    /** Whether {@code group}'s weights stay materialised between calls. */
    boolean isResident(WeightGroup group);

    /** A short description, e.g. {@code resident (60 groups, 81.7 GB)}. */
    String describe();

    /** Frees whatever is held; the residency is unusable afterwards. */
    @Override
    void close();
}
