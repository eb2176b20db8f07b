package org.layered.image;

/**
 * How one channel's values become 8-bit "as displayed", by ImageJ 1.x's rules, so that a converted image looks
 * exactly as it does on screen:
 * <ul>
 *   <li>{@link Rule#BYTE}: 8-bit values as they are (clamped to 0-255; for 8-bit images ImageJ applies the display
 *       range through the colour table instead);</li>
 *   <li>{@link Rule#INTEGER}: {@code (v - min) * 256 / (max - min + 1) + 0.5}, truncated and clamped, with integer
 *       {@code min}/{@code max} (ImageJ's 16-bit conversion);</li>
 *   <li>{@link Rule#REAL}: {@code (v - min) * 255 / (max - min) + 0.5}, truncated and clamped; NaN becomes 0
 *       (ImageJ's 32-bit conversion).</li>
 * </ul>
 *
 * @param min the display range's lower end (ignored by {@link Rule#BYTE})
 * @param max the display range's upper end (ignored by {@link Rule#BYTE})
 */
public record ByteScaling(Rule rule, double min, double max) {
    /** The three conversions. */
    public enum Rule {
        BYTE, INTEGER, REAL
    }

    /** 8-bit values taken as they are. */
    public static final ByteScaling BYTE = new ByteScaling(Rule.BYTE, 0, 255);

    /**
     * ImageJ's 16-bit (integer) conversion with the display range {@code [min, max]}, rounded to whole numbers as a
     * 16-bit image stores its range.
     */
    public static ByteScaling integer(double min, double max) {
        return new ByteScaling(Rule.INTEGER, Math.round(min), Math.round(max));
    }

    /**
     * ImageJ's 32-bit (floating-point) conversion with the display range {@code [min, max]}, in float precision as a
     * 32-bit image stores its range.
     */
    public static ByteScaling real(double min, double max) {
        return new ByteScaling(Rule.REAL, (float) min, (float) max);
    }

    /** The 8-bit value (0-255) of {@code v}. */
    public int apply(double v) {
        return switch (rule) {
            case BYTE -> v <= 0 ? 0 : v >= 255 ? 255 : (int) v;
            case INTEGER -> {
                long value = (long) v - (long) min;
                if (value < 0) {
                    value = 0;
                }
                int i = (int) (value * (256.0 / (max - min + 1)) + 0.5);
                yield Math.min(i, 255);
            }
            case REAL -> {
                double value = v - min;
                if (value < 0.0) {
                    value = 0.0;
                }
                int i = (int) (value * (255.0 / (max - min)) + 0.5);
                yield Math.max(0, Math.min(i, 255));
            }
        };
    }
}
