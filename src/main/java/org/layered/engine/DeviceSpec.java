package org.layered.engine;

import java.util.Locale;

/**
 * What the user asked for: {@code auto}, {@code cpu} or {@code cuda[:i]}. Resolution to a real device happens in
 * {@link TorchEngine#resolve(DeviceSpec)}, which never falls back silently from CUDA to CPU.
 *
 * @param kind  which kind of device
 * @param index the CUDA ordinal (0 unless given), ignored for the other kinds
 */
public record DeviceSpec(Kind kind, int index) {
    /** The kinds of device a user can name. */
    public enum Kind { AUTO, CPU, CUDA }

    public static final DeviceSpec AUTO = new DeviceSpec(Kind.AUTO, 0);
    public static final DeviceSpec CPU = new DeviceSpec(Kind.CPU, 0);

    public DeviceSpec {
        if (index < 0) {
            throw new IllegalArgumentException("CUDA device index must be >= 0, got " + index);
        }
    }

    /**
     * Parses {@code auto}, {@code cpu}, {@code cuda} or {@code cuda:N}.
     *
     * @throws IllegalArgumentException with the accepted forms when the text is anything else
     */
    public static DeviceSpec parse(String text) {
        String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        if (t.isEmpty() || t.equals("auto")) {
            return AUTO;
        }
        if (t.equals("cpu")) {
            return CPU;
        }
        if (t.equals("cuda") || t.equals("gpu")) {
            return new DeviceSpec(Kind.CUDA, 0);
        }
        if (t.startsWith("cuda:")) {
            try {
                return new DeviceSpec(Kind.CUDA, Integer.parseInt(t.substring(5)));
            } catch (NumberFormatException e) {
                // fall through
            }
        }
        throw new IllegalArgumentException("unknown device '" + text + "': use auto, cpu, cuda or cuda:N");
    }

    @Override
    public String toString() {
        return switch (kind) {
            case AUTO -> "auto";
            case CPU -> "cpu";
            case CUDA -> "cuda:" + index;
        };
    }
}
