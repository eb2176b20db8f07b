package org.layered.image;

/**
 * Pillow 11.1's {@code Image.resize(size, Image.LANCZOS)} for RGBA images, reproduced integer for integer.
 *
 * <p>What Pillow does, and this class therefore does: an RGBA image is converted to premultiplied RGBa
 * ({@code c*a/255} with Pillow's rounding), resampled in two separable passes (horizontal first, each pass only
 * when that dimension changes) with the Lanczos-3 kernel {@code sinc(x) sinc(x/3)} stretched by the downscale
 * factor, using coefficients normalised to sum 1 and converted to 22-bit fixed point, each pass rounding and
 * clipping to 8 bits; then converted back to straight alpha ({@code 255*c/a}, truncated and clipped). No resize
 * happens when the size already matches (Pillow returns a copy).
 */
public final class LanczosResize {
    /** Pillow's Resample.c: 8 bits of result, 2 bits of headroom for negative lobes and overshoot. */
    private static final int PRECISION_BITS = 32 - 8 - 2;
    private static final double SUPPORT = 3.0;

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
        int[] img = premultiply(rgba);
        int w = inW;
        int h = inH;

        Coefficients horiz = Coefficients.lanczos(inW, outW);
        Coefficients vert = Coefficients.lanczos(inH, outH);
        if (outW != inW) {
            // Pillow only computes the source rows the vertical pass will read; the values are the same.
            int yFirst = vert.min[0];
            int yLast = vert.min[outH - 1] + vert.count[outH - 1];
            img = horizontal(img, w, yFirst, yLast - yFirst, horiz);
            for (int i = 0; i < outH; i++) {
                vert.min[i] -= yFirst;
            }
            w = outW;
            h = yLast - yFirst;
        }
        if (outH != inH) {
            img = vertical(img, w, vert, outH);
            h = outH;
        }
        assert w == outW && h == outH;
        return unpremultiply(img);
    }

    /** Convert.c {@code rgbA2rgba}: {@code MULDIV255(c, a)} for R, G, B; alpha unchanged. */
    private static int[] premultiply(byte[] rgba) {
        int[] out = new int[rgba.length];
        for (int i = 0; i < rgba.length; i += 4) {
            int a = rgba[i + 3] & 0xFF;
            for (int c = 0; c < 3; c++) {
                int tmp = (rgba[i + c] & 0xFF) * a + 128;
                out[i + c] = ((tmp >> 8) + tmp) >> 8; // (c*a + 127) / 255, the fast way
            }
            out[i + 3] = a;
        }
        return out;
    }

    /** Convert.c {@code rgba2rgbA}: {@code CLIP8(255 * c / a)} (integer division), untouched when a is 0 or 255. */
    private static byte[] unpremultiply(int[] img) {
        byte[] out = new byte[img.length];
        for (int i = 0; i < img.length; i += 4) {
            int a = img[i + 3];
            for (int c = 0; c < 3; c++) {
                int v = img[i + c];
                if (a != 255 && a != 0) {
                    v = Math.min(255, (255 * v) / a);
                }
                out[i + c] = (byte) v;
            }
            out[i + 3] = (byte) a;
        }
        return out;
    }

    /** Horizontal pass over rows {@code [yOffset, yOffset + rows)} of a {@code w}-wide image. */
    private static int[] horizontal(int[] in, int w, int yOffset, int rows, Coefficients k) {
        int outW = k.outSize;
        int[] out = new int[outW * rows * 4];
        for (int yy = 0; yy < rows; yy++) {
            int rowBase = (yy + yOffset) * w * 4;
            for (int xx = 0; xx < outW; xx++) {
                int xmin = k.min[xx];
                int n = k.count[xx];
                int kb = xx * k.ksize;
                for (int c = 0; c < 4; c++) {
                    int ss = 1 << (PRECISION_BITS - 1); // rounding offset
                    for (int x = 0; x < n; x++) {
                        ss += in[rowBase + (x + xmin) * 4 + c] * k.fixed[kb + x];
                    }
                    out[(yy * outW + xx) * 4 + c] = clip8(ss);
                }
            }
        }
        return out;
    }

    /** Vertical pass of a {@code w}-wide image to {@code outH} rows. */
    private static int[] vertical(int[] in, int w, Coefficients k, int outH) {
        int[] out = new int[w * outH * 4];
        for (int yy = 0; yy < outH; yy++) {
            int ymin = k.min[yy];
            int n = k.count[yy];
            int kb = yy * k.ksize;
            for (int xx = 0; xx < w; xx++) {
                for (int c = 0; c < 4; c++) {
                    int ss = 1 << (PRECISION_BITS - 1);
                    for (int y = 0; y < n; y++) {
                        ss += in[((y + ymin) * w + xx) * 4 + c] * k.fixed[kb + y];
                    }
                    out[(yy * w + xx) * 4 + c] = clip8(ss);
                }
            }
        }
        return out;
    }

    /** Pillow's {@code clip8}: drop the fraction bits (arithmetic shift), clamp to 0..255. */
    private static int clip8(int ss) {
        int v = ss >> PRECISION_BITS;
        return v < 0 ? 0 : Math.min(v, 255);
    }

    /** {@code sinc(x) * sinc(x/3)} on [-3, 3), 0 elsewhere (Resample.c {@code lanczos_filter}). */
    static double lanczos(double x) {
        if (-3.0 <= x && x < 3.0) {
            return sinc(x) * sinc(x / 3);
        }
        return 0.0;
    }

    private static double sinc(double x) {
        if (x == 0.0) {
            return 1.0;
        }
        x = x * Math.PI;
        return Math.sin(x) / x;
    }

    /** Per output pixel: first input index, tap count and fixed-point taps (Resample.c {@code precompute_coeffs}). */
    private static final class Coefficients {
        final int outSize;
        final int ksize;
        final int[] min;
        final int[] count;
        final int[] fixed;

        private Coefficients(int outSize, int ksize) {
            this.outSize = outSize;
            this.ksize = ksize;
            this.min = new int[outSize];
            this.count = new int[outSize];
            this.fixed = new int[outSize * ksize];
        }

        /** Coefficients for resampling the full range {@code [0, inSize)} to {@code outSize} samples. */
        static Coefficients lanczos(int inSize, int outSize) {
            double scale = (double) inSize / outSize; // box (0, inSize): (double)(in1 - in0) / outSize
            double filterscale = Math.max(scale, 1.0); // only downscaling widens the kernel
            double support = SUPPORT * filterscale;
            int ksize = (int) Math.ceil(support) * 2 + 1;
            Coefficients k = new Coefficients(outSize, ksize);
            double[] w = new double[ksize];
            for (int xx = 0; xx < outSize; xx++) {
                double center = (xx + 0.5) * scale; // in0 = 0
                double ss = 1.0 / filterscale;
                // C (int) casts truncate toward zero, as Java's do
                int xmin = (int) (center - support + 0.5);
                if (xmin < 0) {
                    xmin = 0;
                }
                int xmax = (int) (center + support + 0.5);
                if (xmax > inSize) {
                    xmax = inSize;
                }
                xmax -= xmin;
                double ww = 0.0;
                for (int x = 0; x < xmax; x++) {
                    double v = LanczosResize.lanczos((x + xmin - center + 0.5) * ss);
                    w[x] = v;
                    ww += v;
                }
                for (int x = 0; x < xmax; x++) {
                    double v = ww != 0.0 ? w[x] / ww : w[x];
                    // normalize_coeffs_8bpc: round half away from zero into 22 fraction bits
                    k.fixed[xx * ksize + x] = v < 0 ? (int) (-0.5 + v * (1 << PRECISION_BITS))
                            : (int) (0.5 + v * (1 << PRECISION_BITS));
                }
                k.min[xx] = xmin;
                k.count[xx] = xmax;
            }
            return k;
        }
    }
}
