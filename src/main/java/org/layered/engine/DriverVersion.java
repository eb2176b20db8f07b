package org.layered.engine;

import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** An NVIDIA driver version such as {@code 570.124.06}, compared part by part as numbers. */
public final class DriverVersion implements Comparable<DriverVersion> {
    private static final Pattern VERSION = Pattern.compile("(\\d+)(?:\\.(\\d+))?(?:\\.(\\d+))?");

    private final String text;
    private final int[] parts;

    private DriverVersion(String text, int[] parts) {
        this.text = text;
        this.parts = parts;
    }

    /** @throws IllegalArgumentException for anything but 1-3 dot-separated numbers */
    public static DriverVersion parse(String text) {
        String t = text == null ? "" : text.strip();
        Matcher m = VERSION.matcher(t);
        if (!m.matches()) {
            throw new IllegalArgumentException("not a driver version: '" + text + "'");
        }
        int n = m.group(3) != null ? 3 : m.group(2) != null ? 2 : 1;
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = Integer.parseInt(m.group(i + 1));
        }
        return new DriverVersion(t, p);
    }

    /** The major version (the driver branch, e.g. 570). */
    public int major() {
        return parts[0];
    }

    @Override
    public int compareTo(DriverVersion o) {
        for (int i = 0; i < Math.max(parts.length, o.parts.length); i++) {
            int a = i < parts.length ? parts[i] : 0;
            int b = i < o.parts.length ? o.parts[i] : 0;
            if (a != b) {
                return Integer.compare(a, b);
            }
        }
        return 0;
    }

    /** Whether this driver is at least {@code minimum}. */
    public boolean atLeast(DriverVersion minimum) {
        return compareTo(minimum) >= 0;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DriverVersion v && compareTo(v) == 0;
    }

    @Override
    public int hashCode() {
        int[] p = parts;
        int n = p.length;
        while (n > 1 && p[n - 1] == 0) {
            n--;
        }
        return Arrays.hashCode(Arrays.copyOf(p, n));
    }

    /** As written where it was read, e.g. {@code 570.124.06}. */
    @Override
    public String toString() {
        return text;
    }
}
