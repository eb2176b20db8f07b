package org.layered.weights.residency;

import org.layered.engine.ComputeDevice;
import org.layered.engine.DType;
import org.layered.engine.TensorScope;
import org.layered.weights.WeightSource;

import java.io.IOException;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Weight groups in three tiers ({@link WeightTier}): held on the compute device, held in host memory and copied to
 * the device when used, or read from the checkpoint when used. Held groups are in the {@link WeightFormat} asked for;
 * float8 weights are dequantised into the caller's scope when the group is acquired.
 *
 * <p>Host-tier groups are pinned when the device is a GPU, and the next host-tier group (in execution order) is
 * copied ahead with a non-blocking copy while the current one runs; a host group's device copy lives until the next
 * host-tier group is acquired, so one forward pass at a time may use this residency (the block loops do). On the
 * CPU the host tier is plain memory and the copies are synchronous.
 */
public final class TieredWeights implements WeightResidency {
    private final List<WeightGroup> execution;
    private final Map<String, WeightTier> tiers;
    private final Map<String, HeldGroup> held = new HashMap<>();
    private final TensorScope scope;
    private final StreamedWeights file;
    private final ComputeDevice device;
    private final DType dtype;
    private final WeightFormat format;
    private final Map<WeightTier, Long> bytes = new EnumMap<>(WeightTier.class);
    private Copy current;
    private Copy next;
    private boolean closed;

    /** A host group's device copy, in a scope of its own. */
    private record Copy(String group, TensorScope scope, HeldGroup weights) {}

    private TieredWeights(WeightSource source, List<WeightGroup> execution, Map<String, WeightTier> tiers,
            DType dtype, ComputeDevice device, WeightFormat format) {
        this.execution = List.copyOf(execution);
        this.tiers = Map.copyOf(tiers);
        this.dtype = dtype;
        this.device = device;
        this.format = format;
        this.scope = TensorScope.detached();
        this.file = new StreamedWeights(source, dtype, device);
        for (WeightTier t : WeightTier.values()) {
            bytes.put(t, 0L);
        }
    }

    /**
     * Loads the device and host groups of {@code execution} (the order the forward pass uses them) as {@code tiers}
     * assigns them; a group without a tier is read from the file.
     */
    public static TieredWeights load(WeightSource source, List<WeightGroup> execution, Map<String, WeightTier> tiers,
            DType dtype, ComputeDevice device, WeightFormat format) throws IOException {
        TieredWeights w = new TieredWeights(source, execution, tiers, dtype, device, format);
        try (TensorScope.Activation active = w.scope.activate()) {
            for (WeightGroup g : execution) {
                WeightTier t = w.tier(g);
                if (t == WeightTier.FILE) {
                    w.bytes.merge(t, ResidencyPolicy.cost(source, g, dtype, WeightFormat.BF16), Long::sum);
                    continue;
                }
                ComputeDevice place = t == WeightTier.DEVICE ? device : ComputeDevice.CPU;
                HeldGroup h = HeldGroup.load(source, g, dtype, place, format, t == WeightTier.HOST && device.isCuda());
                w.held.put(g.name(), h);
                w.bytes.merge(t, h.bytes(), Long::sum);
            }
        } catch (IOException | RuntimeException | Error e) {
            w.scope.close();
            throw e;
        }
        return w;
    }

    /** The tier of {@code group}. */
    public WeightTier tier(WeightGroup group) {
        return tiers.getOrDefault(group.name(), WeightTier.FILE);
    }

    /** Bytes of the groups in {@code tier}, as held (for the file tier: as materialised when used). */
    public long bytes(WeightTier tier) {
        return bytes.get(tier);
    }

    @Override
    public synchronized GroupWeights acquire(WeightGroup group) throws IOException {
        if (closed) {
            throw new IllegalStateException("the weight residency was closed");
        }
        return switch (tier(group)) {
            case DEVICE -> held.get(group.name()).materialize(dtype);
            case FILE -> file.acquire(group);
            case HOST -> fromHost(group);
        };
    }

    private GroupWeights fromHost(WeightGroup group) {
        release(current); // the previous host group's block has finished
        current = next != null && next.group().equals(group.name()) ? next : copy(group);
        next = null;
        WeightGroup following = nextHostGroup(group);
        if (following != null && !following.name().equals(group.name())) {
            next = copy(following); // issued now, runs while this group computes
        }
        return current.weights().materialize(dtype);
    }

    private Copy copy(WeightGroup group) {
        TensorScope s = TensorScope.detached();
        try (TensorScope.Activation a = s.activate()) {
            return new Copy(group.name(), s, held.get(group.name()).copyTo(device));
        } catch (RuntimeException | Error e) {
            s.close();
            throw e;
        }
    }

    /** The host-tier group that runs after {@code group}, wrapping around to the next forward pass. */
    private WeightGroup nextHostGroup(WeightGroup group) {
        int at = execution.indexOf(group);
        for (int i = 1; i <= execution.size(); i++) {
            WeightGroup g = execution.get((Math.max(at, 0) + i) % execution.size());
            if (tier(g) == WeightTier.HOST) {
                return g;
            }
        }
        return null;
    }

    private static void release(Copy c) {
        if (c != null) {
            c.scope().close();
        }
    }

    @Override
    public boolean isResident(WeightGroup group) {
        return tier(group) == WeightTier.DEVICE;
    }

    @Override
    public String describe() {
        Map<WeightTier, Integer> counts = new EnumMap<>(WeightTier.class);
        for (WeightGroup g : execution) {
            counts.merge(tier(g), 1, Integer::sum);
        }
        StringBuilder b = new StringBuilder();
        for (WeightTier t : WeightTier.values()) {
            int n = counts.getOrDefault(t, 0);
            if (n > 0) {
                b.append(b.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%d groups %s (%.2f GB)",
                        n, t.description(), bytes.get(t) / 1e9));
            }
        }
        return b + "; " + (format == WeightFormat.FP8 ? "linear weights float8, " : "") + dtype + " on " + device;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            release(current);
            release(next);
        } finally {
            current = null;
            next = null;
            scope.close();
            file.close();
        }
    }
}
