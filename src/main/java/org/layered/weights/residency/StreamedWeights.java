package org.layered.weights.residency;

import org.layered.engine.ComputeDevice;
import org.layered.engine.DType;
import org.layered.engine.Tensor;
import org.layered.weights.WeightSource;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Loads a group's weights into the caller's innermost {@code TensorScope} each time it is acquired, so they occupy
 * memory (on the compute device) only while that block runs; each acquisition reads the group's bytes from the files
 * (the page cache makes repeats cheap) and converts them to the compute dtype.
 */
public final class StreamedWeights implements WeightResidency {
    private final WeightSource source;
    private final DType dtype;
    private final ComputeDevice device;
    private volatile boolean closed;

    public StreamedWeights(WeightSource source, DType dtype, ComputeDevice device) {
        this.source = source;
        this.dtype = dtype;
        this.device = device;
    }

    @Override
    public GroupWeights acquire(WeightGroup group) throws IOException {
        if (closed) {
            throw new IllegalStateException("the weight residency was closed");
        }
        return load(source, group, dtype, device);
    }

    /** Loads every tensor of {@code group} into the current scope. */
    static GroupWeights load(WeightSource source, WeightGroup group, DType dtype, ComputeDevice device)
            throws IOException {
        Map<String, Tensor> map = new LinkedHashMap<>();
        for (String local : group.names()) {
            map.put(local, source.load(group.fullName(local), dtype, device));
        }
        return new GroupWeights(group, map);
    }

    @Override
    public boolean isResident(WeightGroup group) {
        return false;
    }

    @Override
    public String describe() {
        return "streamed (" + dtype + " on " + device + ", loaded per block from " + source.describe() + ")";
    }

    @Override
    public void close() {
        closed = true;
    }
}
