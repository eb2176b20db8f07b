package org.layered.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Resident-set figures of this process from {@code /proc/self/status} (Linux), in MiB; -1 elsewhere. */
public final class ProcessMemory {
    private ProcessMemory() {}

    /** Current resident set (VmRSS). */
    public static long rssMiB() {
        return field("VmRSS:");
    }

    /** Resident anonymous memory (heap, native allocations): what a leak grows. */
    public static long anonMiB() {
        return field("RssAnon:");
    }

    /** Resident file-backed memory (mapped weights in the page cache: reclaimable). */
    public static long fileMiB() {
        return field("RssFile:");
    }

    /** Peak resident set since start (VmHWM). */
    public static long peakRssMiB() {
        return field("VmHWM:");
    }

    private static long field(String name) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(name)) {
                    String[] parts = line.substring(name.length()).trim().split("\\s+");
                    return Long.parseLong(parts[0]) / 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: no figure
        }
        return -1;
    }
}
