package org.layered.engine;

import java.util.Locale;

/**
 * One CUDA device as the CUDA driver reports it (libtorch numbers devices the same way).
 *
 * @param index       the CUDA ordinal ({@code cuda:<index>})
 * @param name        the product name, e.g. {@code NVIDIA H100 80GB HBM3}
 * @param totalBytes  device memory
 * @param freeBytes   memory free when asked, -1 when not asked (asking creates the device's CUDA context)
 * @param ccMajor     compute capability, major part (9 for Hopper)
 * @param ccMinor     compute capability, minor part
 */
public record CudaDevice(int index, String name, long totalBytes, long freeBytes, int ccMajor, int ccMinor) {
    /** {@code cuda:<index>}, the device key users type. */
    public String key() {
        return "cuda:" + index;
    }

    /** E.g. {@code 9.0}. */
    public String computeCapability() {
        return ccMajor + "." + ccMinor;
    }

    /** E.g. {@code NVIDIA H100 80GB HBM3, 79.1 GiB}. */
    public String brief() {
        return name + ", " + gib(totalBytes);
    }

    /** E.g. {@code cuda:0 (NVIDIA H100 80GB HBM3, 79.1 GiB)}: what a device list shows. */
    public String label() {
        return key() + " (" + brief() + ")";
    }

    /** Everything known, on one line. */
    public String describe() {
        return key() + ": " + name + ", " + gib(totalBytes) + (freeBytes >= 0 ? " (" + gib(freeBytes) + " free)"
                : "") + ", compute capability " + computeCapability();
    }

    static String gib(long bytes) {
        return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
    }
}
