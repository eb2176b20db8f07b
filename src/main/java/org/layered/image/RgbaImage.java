package org.layered.image;

import java.awt.image.BufferedImage;
import java.util.Arrays;

/**
 * An immutable 8-bit RGBA image with straight (non-premultiplied) alpha, stored row-major as
 * {@code H x W x 4} bytes (R, G, B, A), i.e. the layout of {@code numpy.array(pil_rgba_image)}.
 */
public final class RgbaImage {
    private final int width;
    private final int height;
    private final byte[] rgba;

    /**
     * @param rgba {@code width * height * 4} bytes, copied
     */
    public RgbaImage(int width, int height, byte[] rgba) {
        this(width, height, rgba.clone(), true);
    }

    /** Takes ownership of {@code rgba} (callers in this package that built a fresh array). */
    RgbaImage(int width, int height, byte[] rgba, boolean owned) {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("image size must be positive, got " + width + "x" + height);
        }
        if ((long) width * height * 4 != rgba.length) {
            throw new IllegalArgumentException("a " + width + "x" + height + " RGBA image needs "
                    + ((long) width * height * 4) + " bytes, got " + rgba.length);
        }
        this.width = width;
        this.height = height;
        this.rgba = rgba;
    }

    public int width() {
        return width;
    }

    public int height() {
        return height;
    }

    /** A copy of the pixel bytes ({@code H x W x 4}, row-major, straight alpha). */
    public byte[] rgba() {
        return rgba.clone();
    }

    /** The pixel bytes without copying, for this package's read-only use. */
    byte[] data() {
        return rgba;
    }

    /** Channel {@code c} (0 = R .. 3 = A) of pixel (x, y), 0..255. */
    public int get(int x, int y, int c) {
        if (x < 0 || x >= width || y < 0 || y >= height || c < 0 || c > 3) {
            throw new IndexOutOfBoundsException("pixel (" + x + ", " + y + ") channel " + c + " outside "
                    + width + "x" + height + "x4");
        }
        return rgba[((y * width) + x) * 4 + c] & 0xFF;
    }

    /** Whether every pixel has alpha 255. */
    public boolean isOpaque() {
        for (int i = 3; i < rgba.length; i += 4) {
            if (rgba[i] != (byte) 0xFF) {
                return false;
            }
        }
        return true;
    }

    /**
     * The pixels of a decoded image with the values Pillow's {@code convert("RGBA")} gives (samples as stored; see
     * {@code PillowRgba}); images without alpha become opaque.
     *
     * @throws IllegalArgumentException for layouts Pillow has no RGBA conversion for (floating-point samples, ...)
     */
    public static RgbaImage fromBufferedImage(BufferedImage image) {
        if ((long) image.getWidth() * image.getHeight() * 4 > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("image " + image.getWidth() + "x" + image.getHeight()
                    + " is too large for one RGBA byte array");
        }
        return PillowRgba.convert(image, new java.util.ArrayList<>());
    }

    /** A new {@code TYPE_INT_ARGB} image (straight alpha, so values round-trip exactly). */
    public BufferedImage toBufferedImage() {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_ARGB);
        int[] argb = new int[width * height];
        for (int i = 0; i < argb.length; i++) {
            argb[i] = (rgba[4 * i + 3] & 0xFF) << 24 | (rgba[4 * i] & 0xFF) << 16 | (rgba[4 * i + 1] & 0xFF) << 8
                    | (rgba[4 * i + 2] & 0xFF);
        }
        img.setRGB(0, 0, width, height, argb, 0, width);
        return img;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RgbaImage r && r.width == width && r.height == height && Arrays.equals(r.rgba, rgba);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * width + height) + Arrays.hashCode(rgba);
    }

    @Override
    public String toString() {
        return "RgbaImage[" + width + "x" + height + "]";
    }
}
