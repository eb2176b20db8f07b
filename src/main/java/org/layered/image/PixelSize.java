package org.layered.image;

import java.util.Locale;

/**
 * The physical size of one pixel ("calibration" in ImageJ): width and height in {@code unit}. Units that name a
 * length ({@code nm}, {@code µm}/{@code um}/{@code micron}, {@code mm}, {@code cm}, {@code m}, {@code inch}) convert
 * to resolutions (pixels per inch or centimetre) for the layered formats; any other unit ({@code pixel}, a custom
 * one) is carried in the ImageJ description only.
 *
 * @param width  pixel width in {@code unit}, > 0
 * @param height pixel height in {@code unit}, > 0
 * @param unit   the unit as the user gave it (ImageJ spells micrometres {@code µm} or {@code micron})
 */
public record PixelSize(double width, double height, String unit) {
    private static final double MM_PER_INCH = 25.4;

    public PixelSize {
        if (!(width > 0) || !(height > 0) || Double.isInfinite(width) || Double.isInfinite(height)) {
            throw new IllegalArgumentException("pixel size must be positive, got " + width + " x " + height);
        }
        unit = unit == null || unit.isBlank() ? "pixel" : unit.strip();
    }

    /**
     * The pixel size of an image whose pixels are {@code scaleX} (and {@code scaleY}) times as large: an image
     * resampled from {@code w0} to {@code w1} pixels across has pixels {@code w0 / w1} times as wide.
     */
    public PixelSize scaled(double scaleX, double scaleY) {
        return new PixelSize(width * scaleX, height * scaleY, unit);
    }

    /** Millimetres per unit, or NaN when {@code unit} is not a length. */
    public double millimetresPerUnit() {
        return switch (unit.toLowerCase(Locale.ROOT)) {
            case "nm", "nanometer", "nanometre", "nanometers", "nanometres" -> 1e-6;
            case "µm", "μm", "um", "micron", "microns", "micrometer", "micrometre", "micrometers", "micrometres" ->
                    1e-3;
            case "mm", "millimeter", "millimetre", "millimeters", "millimetres" -> 1;
            case "cm", "centimeter", "centimetre", "centimeters", "centimetres" -> 10;
            case "m", "meter", "metre", "meters", "metres" -> 1000;
            case "in", "inch", "inches" -> MM_PER_INCH;
            default -> Double.NaN;
        };
    }

    /** Whether the unit is a length, so that a resolution in pixels per inch exists. */
    public boolean isPhysical() {
        return !Double.isNaN(millimetresPerUnit());
    }

    /** Whether the unit is the inch, which resolutions are then best given in. */
    public boolean isInch() {
        return millimetresPerUnit() == MM_PER_INCH;
    }

    /** Horizontal resolution in pixels per inch. @throws IllegalStateException when the unit is not a length */
    public double xPixelsPerInch() {
        return MM_PER_INCH / millimetres(width);
    }

    /** Vertical resolution in pixels per inch. @throws IllegalStateException when the unit is not a length */
    public double yPixelsPerInch() {
        return MM_PER_INCH / millimetres(height);
    }

    private double millimetres(double v) {
        double mm = millimetresPerUnit();
        if (Double.isNaN(mm)) {
            throw new IllegalStateException("unit '" + unit + "' is not a length");
        }
        return v * mm;
    }

    /**
     * The pixel size for a resolution in pixels per inch (e.g. read from a file), in the given length unit.
     *
     * @param unit a unit {@link #millimetresPerUnit} knows
     */
    public static PixelSize ofPixelsPerInch(double xPpi, double yPpi, String unit) {
        double mmPerUnit = new PixelSize(1, 1, unit).millimetresPerUnit();
        if (Double.isNaN(mmPerUnit)) {
            throw new IllegalArgumentException("unit '" + unit + "' is not a length");
        }
        return new PixelSize(MM_PER_INCH / xPpi / mmPerUnit, MM_PER_INCH / yPpi / mmPerUnit, unit);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%.6g x %.6g %s", width, height, unit);
    }
}
