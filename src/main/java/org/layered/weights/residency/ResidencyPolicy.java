package org.layered.weights.residency;

import org.layered.engine.ComputeDevice;
import org.layered.engine.DType;
import org.layered.weights.WeightSource;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * How much of a model to keep materialised, and in which {@link WeightFormat}: everything on the device
 * ({@link #resident()}), nothing ({@link #streamed()}: each group read from the file when used), or tiers filled in
 * priority order ({@link #tiered}: groups on the device while they fit {@code deviceBytes}, the next ones in host
 * memory while they fit {@code hostBytes}, the rest from the file). {@link #budget(long)} is a device budget without
 * a host tier; {@link #auto()} uses half the available RAM on the CPU and streams on CUDA (callers that know the
 * device's free memory plan instead: {@code MemoryPlanner}).
 *
 * <p>Cost of a group: the bytes it takes once held in the format, in the compute dtype on the compute device,
 * whatever the stored dtype (weights are read into fresh memory, never aliased to the file).
 */
public record ResidencyPolicy(Mode mode, long deviceBytes, long hostBytes, WeightFormat format) {
    public enum Mode { RESIDENT, STREAMED, TIERED, AUTO }

    public ResidencyPolicy {
        if (deviceBytes < 0 || hostBytes < 0) {
            throw new IllegalArgumentException("budgets must be >= 0, got " + deviceBytes + " and " + hostBytes);
        }
        if (format == null) {
            format = WeightFormat.BF16;
        }
    }

    public static ResidencyPolicy resident() {
        return new ResidencyPolicy(Mode.RESIDENT, Long.MAX_VALUE, 0, WeightFormat.BF16);
    }

    public static ResidencyPolicy streamed() {
        return new ResidencyPolicy(Mode.STREAMED, 0, 0, WeightFormat.BF16);
    }

    /** Hold groups in priority order while their total cost stays within {@code bytes}; stream the others. */
    public static ResidencyPolicy budget(long bytes) {
        return tiered(bytes, 0, WeightFormat.BF16);
    }

    /** Device tier within {@code deviceBytes}, host tier within {@code hostBytes}, the rest from the file. */
    public static ResidencyPolicy tiered(long deviceBytes, long hostBytes, WeightFormat format) {
        return new ResidencyPolicy(Mode.TIERED, deviceBytes, hostBytes, format);
    }

    /** The default without a plan: budget = half the available RAM on the CPU, 0 (streamed) on CUDA. */
    public static ResidencyPolicy auto() {
        return new ResidencyPolicy(Mode.AUTO, 0, 0, WeightFormat.BF16);
    }

    /** The same policy holding weights in {@code f}. */
    public ResidencyPolicy withFormat(WeightFormat f) {
        return new ResidencyPolicy(mode, deviceBytes, hostBytes, f);
    }

    /**
     * Bytes {@code group} takes once materialised as {@code dtype} on {@code device}: every element in {@code dtype},
     * on any device (weights are read into fresh memory, never aliased to the file).
     */
    public static long cost(WeightSource source, WeightGroup group, DType dtype, ComputeDevice device) {
        return cost(source, group, dtype, WeightFormat.BF16);
    }

    /**
     * Bytes {@code group} takes when held in {@code format}: elements in {@code dtype}, except linear weights under
     * {@link WeightFormat#FP8}: one byte each plus a float32 scale per output row.
     */
    public static long cost(WeightSource source, WeightGroup group, DType dtype, WeightFormat format) {
        return GroupSize.of(group, source::shape).heldBytes(dtype, format);
    }

    /** The tier of each group of {@code priority} (most important first) under this policy. */
    public Map<String, WeightTier> tiers(WeightSource source, List<WeightGroup> priority, DType dtype,
            ComputeDevice device) {
        Map<String, WeightTier> out = new HashMap<>();
        long deviceBudget = switch (mode) {
            case RESIDENT -> Long.MAX_VALUE;
            case STREAMED -> 0;
            case TIERED -> deviceBytes;
            case AUTO -> device.isCuda() ? 0 : availableRam() / 2;
        };
        long hostBudget = mode == Mode.TIERED ? hostBytes : 0;
        boolean deviceFull = false;
        boolean hostFull = false;
        for (WeightGroup g : priority) {
            long c = cost(source, g, dtype, format);
            if (!deviceFull && c <= deviceBudget) {
                deviceBudget -= c;
                out.put(g.name(), WeightTier.DEVICE);
                continue;
            }
            deviceFull = true; // groups after the first that does not fit are not held either (run order)
            if (!hostFull && c <= hostBudget) {
                hostBudget -= c;
                out.put(g.name(), WeightTier.HOST);
            } else {
                hostFull = true;
                out.put(g.name(), WeightTier.FILE);
            }
        }
        return out;
    }

    /** Builds the residency for {@code groups}, in the order the forward pass uses them (also their priority). */
    public WeightResidency build(WeightSource source, List<WeightGroup> groups, DType dtype, ComputeDevice device)
            throws IOException {
        return build(source, groups, groups, dtype, device);
    }

    /**
     * Builds the residency: {@code priority} orders which groups are held first, {@code execution} is the order the
     * forward pass uses them (for copying the next host group ahead).
     */
    public WeightResidency build(WeightSource source, List<WeightGroup> priority, List<WeightGroup> execution,
            DType dtype, ComputeDevice device) throws IOException {
        Map<String, WeightTier> tiers = tiers(source, priority, dtype, device);
        if (!tiers.containsValue(WeightTier.DEVICE) && !tiers.containsValue(WeightTier.HOST)) {
            return new StreamedWeights(source, dtype, device);
        }
        return TieredWeights.load(source, execution, tiers, dtype, device, format);
    }

    /** MemAvailable from /proc/meminfo, else the JVM's view of free physical memory. */
    public static long availableRam() {
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
