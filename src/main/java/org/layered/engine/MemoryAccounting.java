package org.layered.engine;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Native-memory accounting of tensors: live and peak bytes per device of the tensor storage the engine hands out,
 * while {@link #start() started}. Off by default (then it costs one volatile read per tensor); benchmarks and the
 * memory planner's tests turn it on to measure what a run really holds.
 *
 * <p>What is counted: each fresh result's storage ({@code numel x element size}) from its creation until the last
 * tensor that uses it is closed; a view (reshape, slice, permute, ...) shares its base's storage and adds nothing,
 * and keeps it alive when the base is closed first, as libtorch does. Not counted: kernels' internal workspaces
 * (freed before an op returns), the CUDA context and the caching allocator's unused reserve; tensors created before
 * {@link #start()} (their release is not subtracted either). Thread-safe; process-global, as native memory is.
 */
public final class MemoryAccounting {
    private static volatile boolean on;
    private static final Map<String, Counter> COUNTERS = new ConcurrentHashMap<>();

    private MemoryAccounting() {}

    /** Bytes of one device: now and the most since the last reset. */
    public record Usage(long live, long peak) {}

    private static final class Counter {
        private long live;
        private long peak;

        synchronized void add(long bytes) {
            live += bytes;
            if (live > peak) {
                peak = live;
            }
        }

        synchronized Usage usage() {
            return new Usage(live, peak);
        }

        synchronized void resetPeak() {
            peak = live;
        }
    }

    /** One storage, shared by a fresh tensor and its views; released when the last of them closes. */
    static final class Storage {
        private final Counter counter;
        private final long bytes;
        private int refs = 1;

        private Storage(Counter counter, long bytes) {
            this.counter = counter;
            this.bytes = bytes;
        }

        synchronized Storage share() {
            refs++;
            return this;
        }

        void release() {
            boolean last;
            synchronized (this) {
                last = --refs == 0;
            }
            if (last) {
                counter.add(-bytes);
            }
        }
    }

    /** Starts counting tensors created from now on (idempotent). */
    public static void start() {
        on = true;
    }

    /** Stops counting new tensors; those counted are still released when closed. */
    public static void stop() {
        on = false;
    }

    public static boolean isOn() {
        return on;
    }

    /** Live and peak bytes on {@code device} (zero when nothing was counted there). */
    public static Usage usage(ComputeDevice device) {
        Counter c = COUNTERS.get(device.toString());
        return c == null ? new Usage(0, 0) : c.usage();
    }

    /** Sets every device's peak to its live bytes, so that the next peak is that of what follows. */
    public static void resetPeaks() {
        COUNTERS.values().forEach(Counter::resetPeak);
    }

    /** Every device's usage, by device name. */
    public static Map<String, Usage> all() {
        Map<String, Usage> m = new TreeMap<>();
        COUNTERS.forEach((k, v) -> m.put(k, v.usage()));
        return m;
    }

    /** A new storage of {@code bytes} on {@code device}, or null when not counting. */
    static Storage fresh(String device, long bytes) {
        if (!on) {
            return null;
        }
        Counter c = COUNTERS.computeIfAbsent(device, k -> new Counter());
        c.add(bytes);
        return new Storage(c, bytes);
    }
}
