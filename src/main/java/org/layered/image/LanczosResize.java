package org.layered.image;

/**
 * Pillow 11.1's {@code Image.resize(size, Image.LANCZOS)} for RGBA images, reproduced integer for integer.
 * Memory: the output and a band of rows ({@link PillowResample}); the input is premultiplied row by row as it is
 * read, never copied whole.
 *
 * <p>What Pillow does, and this class therefore does: an RGBA image is converted to premultiplied RGBa
 * ({@code c*a/255} with Pillow's rounding), resampled with the Lanczos-3 kernel by {@link PillowResample};
 * then converted back to straight alpha ({@code 255*c/a}, truncated and clipped). No resize
 * happens when the size already matches (Pillow returns a copy).
 */
public final class LanczosResize {
    private LanczosResize() {
    }

    /** The image resized to {@code width x height}; the same image if it already has that size. */
    public static RgbaImage resize(RgbaImage src, int width, int height) {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("height and width must be > 0, got " + width + "x" + height);
        }
        if (src.width() == width && src.height() == height) {
            return src; // immutable, so the "copy" Pillow makes is not needed
        }
        byte[] out = resizeRgba(src.data(), src.width(), src.height(), width, height);
        return new RgbaImage(width, height, out, true);
    }

    /**
     * Resizes raw straight-alpha RGBA bytes ({@code inH x inW x 4}, row-major).
     *
     * @return {@code outH x outW x 4} bytes, a copy of the input when the sizes match
     */
    public static byte[] resizeRgba(byte[] rgba, int inW, int inH, int outW, int outH) {
        if ((long) inW * inH * 4 != rgba.length) {
            throw new IllegalArgumentException("a " + inW + "x" + inH + " RGBA image needs " + ((long) inW * inH * 4)
                    + " bytes, got " + rgba.length);
        }
        if (outW < 1 || outH < 1) {
            throw new IllegalArgumentException("height and width must be > 0, got " + outW + "x" + outH);
        }
        if (inW == outW && inH == outH) {
            return rgba.clone();
        }
        int stride = inW * 4;
        byte[] out = PillowResample.resample((y, row) -> premultiply(rgba, y * stride, row), 4, inW, inH, outW, outH,
                PillowResample.Filter.LANCZOS);
        unpremultiply(out);
        return out;
    }

    /** Convert.c {@code rgbA2rgba} of one row: {@code MULDIV255(c, a)} for R, G, B; alpha unchanged. */
    private static void premultiply(byte[] rgba, int offset, int[] row) {
        for (int i = 0, p = offset; i < row.length; i += 4, p += 4) {
            int a = rgba[p + 3] & 0xFF;
            for (int c = 0; c < 3; c++) {
                int tmp = (rgba[p + c] & 0xFF) * a + 128;
                row[i + c] = ((tmp >> 8) + tmp) >> 8; // (c*a + 127) / 255, the fast way
            }
            row[i + 3] = a;
        }
    }

    /** Convert.c {@code rgba2rgbA}, in place: {@code CLIP8(255 * c / a)} (integer division), kept when a is 0 or 255. */
    private static void unpremultiply(byte[] img) {
        for (int i = 0; i < img.length; i += 4) {
            int a = img[i + 3] & 0xFF;
            if (a != 255 && a != 0) {
                for (int c = 0; c < 3; c++) {
                    img[i + c] = (byte) Math.min(255, (255 * (img[i + c] & 0xFF)) / a);
                }
            }
        }
    }
}
