package org.layered.weights.residency;

import org.layered.engine.ComputeDevice;
import org.layered.engine.DType;
import org.layered.engine.TensorScope;
import org.layered.weights.WeightSource;

import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Materialises groups once, in the compute dtype on the compute device, and keeps them until {@link #close()}.
 * Groups it was not asked to hold are delegated to a {@link StreamedWeights} (a budgeted, partly resident model).
 *
 * <p>The tensors belong to a detached {@code TensorScope} owned by this object: it is on no thread's scope stack,
 * so it never captures the caller's tensors, and it can be closed from any thread.
 */
public final class ResidentWeights implements WeightResidency {
    private final Map<String, GroupWeights> held; // by group name
    private final StreamedWeights fallback;
    private final TensorScope scope;
    private final long bytes;
    private final DType dtype;
    private final ComputeDevice device;
    private volatile boolean closed;

    private ResidentWeights(TensorScope scope, Map<String, GroupWeights> held, StreamedWeights fallback, DType dtype,
            ComputeDevice device) {
        this.scope = scope;
        this.held = held;
        this.fallback = fallback;
        this.dtype = dtype;
        this.device = device;
        long b = 0;
        for (GroupWeights g : held.values()) {
            b += g.bytes();
        }
        this.bytes = b;
    }

    /** Holds all {@code groups}. */
    public static ResidentWeights load(WeightSource source, List<WeightGroup> groups, DType dtype,
            ComputeDevice device) throws IOException {
        return load(source, groups, dtype, device, null);
    }

    /**
     * Holds {@code groups}; any other group is streamed through {@code fallback} (null: other groups are an error).
     */
    public static ResidentWeights load(WeightSource source, List<WeightGroup> groups, DType dtype,
            ComputeDevice device, StreamedWeights fallback) throws IOException {
        TensorScope scope = TensorScope.detached();
        try (TensorScope.Activation active = scope.activate()) {
            Map<String, GroupWeights> map = new HashMap<>();
            for (WeightGroup g : groups) {
                map.put(g.name(), StreamedWeights.load(source, g, dtype, device));
            }
            return new ResidentWeights(scope, map, fallback, dtype, device);
        } catch (IOException | RuntimeException | Error e) {
            scope.close();
            throw e;
        }
    }

    @Override
    public GroupWeights acquire(WeightGroup group) throws IOException {
        if (closed) {
            throw new IllegalStateException("the weight residency was closed");
        }
        GroupWeights g = held.get(group.name());
        if (g != null) {
            return g;
        }
        if (fallback == null) {
            throw new IllegalArgumentException(group.name() + " is not held by this resident weight set");
        }
        return fallback.acquire(group);
    }

    @Override
    public boolean isResident(WeightGroup group) {
        return held.containsKey(group.name());
    }

    /** Bytes of the held tensors: what they occupy in memory on the compute device. */
    public long bytes() {
        return bytes;
    }

    @Override
    public String describe() {
        String s = "resident (" + held.size() + " groups, " + String.format("%.2f GB", bytes / 1e9) + ", " + dtype
                + " on " + device + ")";
        return fallback == null ? s : s + " + " + fallback.describe() + " for the other groups";
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            scope.close();
        } finally {
            if (fallback != null) {
                fallback.close();
            }
        }
    }
}
