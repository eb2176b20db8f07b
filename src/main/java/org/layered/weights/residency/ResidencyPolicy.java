package org.layered.weights.residency;

import org.layered.engine.ComputeDevice;
import org.layered.engine.DType;
import org.layered.weights.WeightSource;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * How much of a model to keep materialised: everything ({@link #resident()}), nothing ({@link #streamed()}), or as
 * many groups as fit a byte budget, in run order, the rest streamed ({@link #budget(long)}, {@link #auto()}).
 *
 * <p>Cost of a group: the bytes it takes once materialised in the compute dtype on the compute device, whatever the
 * stored dtype (weights are read into fresh memory, never aliased to the file). {@link #auto()} uses half of the
 * available RAM as budget on the CPU; on CUDA the engine offers no free-memory query, so it streams unless a budget
 * is given.
 */
public record ResidencyPolicy(Mode mode, long budgetBytes) {
    public enum Mode { RESIDENT, STREAMED, BUDGET, AUTO }

    public static ResidencyPolicy resident() {
        return new ResidencyPolicy(Mode.RESIDENT, Long.MAX_VALUE);
    }

    public static ResidencyPolicy streamed() {
        return new ResidencyPolicy(Mode.STREAMED, 0);
    }

    /** Hold groups in run order while their total cost stays within {@code bytes}; stream the others. */
    public static ResidencyPolicy budget(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("budget must be >= 0, got " + bytes);
        }
        return new ResidencyPolicy(Mode.BUDGET, bytes);
    }

    /** The default: budget = half the available RAM on the CPU, 0 (streamed) on CUDA. */
    public static ResidencyPolicy auto() {
        return new ResidencyPolicy(Mode.AUTO, -1);
    }

    /**
     * Bytes {@code group} takes once materialised as {@code dtype} on {@code device}: every element in {@code dtype},
     * on any device (weights are read into fresh memory, never aliased to the file).
     */
    public static long cost(WeightSource source, WeightGroup group, DType dtype, ComputeDevice device) {
        long bytes = 0;
        for (String local : group.names()) {
            long n = 1;
            for (long d : source.shape(group.fullName(local))) {
                n = Math.multiplyExact(n, d);
            }
            bytes = Math.addExact(bytes, Math.multiplyExact(n, (long) dtype.bytes()));
        }
        return bytes;
    }

    /** Builds the residency for {@code groups} (in the order the forward pass uses them). */
    public WeightResidency build(WeightSource source, List<WeightGroup> groups, DType dtype, ComputeDevice device)
            throws IOException {
        switch (mode) {
            case RESIDENT:
                return ResidentWeights.load(source, groups, dtype, device);
            case STREAMED:
                return new StreamedWeights(source, dtype, device);
            default:
                break;
        }
        long budget = mode == Mode.AUTO ? (device.isCuda() ? 0 : availableRam() / 2) : budgetBytes;
        List<WeightGroup> hold = new ArrayList<>();
        long used = 0;
        for (WeightGroup g : groups) {
            long c = cost(source, g, dtype, device);
            if (used + c > budget) {
                break;
            }
            used += c;
            hold.add(g);
        }
        if (hold.size() == groups.size()) {
            return ResidentWeights.load(source, groups, dtype, device);
        }
        StreamedWeights streamed = new StreamedWeights(source, dtype, device);
        if (hold.isEmpty()) {
            return streamed;
        }
        return ResidentWeights.load(source, hold, dtype, device, streamed);
    }

    /** MemAvailable from /proc/meminfo, else the JVM's view of free physical memory. */
    static long availableRam() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) {
                    String[] parts = line.trim().split("\\s+");
                    return Long.parseLong(parts[1]) * 1024L;
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through
        }
        java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            return sun.getFreeMemorySize();
        }
        return 0;
    }
}
