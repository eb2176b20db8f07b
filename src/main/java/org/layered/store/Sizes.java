package org.layered.store;

import java.util.Locale;

/** Human-readable byte counts, rates and durations for progress lines and messages. */
public final class Sizes {
    private Sizes() {}

    /** Decimal units, as download sizes are usually quoted: {@code 57.7 GB}. */
    public static String si(long n) {
        if (n < 1000) {
            return n + " B";
        }
        String[] units = {"kB", "MB", "GB", "TB", "PB"};
        double v = n;
        int u = -1;
        while (v >= 1000 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        return String.format(Locale.ROOT, v >= 100 ? "%.0f %s" : "%.1f %s", v, units[u]);
    }

    /** Binary units: {@code 53.7 GiB}. */
    public static String binary(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    /** A transfer rate: {@code 85.2 MB/s}. */
    public static String rate(double bytesPerSecond) {
        if (!(bytesPerSecond > 0) || Double.isInfinite(bytesPerSecond)) {
            return "-- B/s";
        }
        return si(Math.round(bytesPerSecond)) + "/s";
    }

    /** A duration in seconds as {@code 1h02m}, {@code 8m12s} or {@code 42s}; negative means unknown. */
    public static String duration(long seconds) {
        if (seconds < 0) {
            return "--";
        }
        if (seconds >= 3600) {
            return String.format(Locale.ROOT, "%dh%02dm", seconds / 3600, (seconds % 3600) / 60);
        }
        if (seconds >= 60) {
            return String.format(Locale.ROOT, "%dm%02ds", seconds / 60, seconds % 60);
        }
        return seconds + "s";
    }
}
