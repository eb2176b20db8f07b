package org.layered.image;

/**
 * Pillow 11.1's separable 8-bit resampling ({@code Resample.c}), reproduced integer for integer, for any number of
 * interleaved channels and the filters the project needs: two passes (horizontal first, each only when that
 * dimension changes) with the filter stretched by the downscale factor, coefficients normalised to sum 1 and
 * converted to 22-bit fixed point (rounded half away from zero); each pass adds the rounding offset, clips to
 * 0..255 and keeps 8 bits.
 */
public final class PillowResample {
    /** Resample.c filters: support and kernel. */
    public enum Filter {
        /** {@code bicubic_filter} with a = -0.5, support 2. */
        BICUBIC(2.0) {
            @Override
            double weight(double x) {
                final double a = -0.5;
                if (x < 0.0) {
                    x = -x;
                }
                if (x < 1.0) {
                    return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
                }
                if (x < 2.0) {
                    return (((x - 5) * x + 8) * x - 4) * a;
                }
                return 0.0;
            }
        },
        /** {@code lanczos_filter}: sinc(x) sinc(x/3) on [-3, 3). */
        LANCZOS(3.0) {
            @Override
            double weight(double x) {
                if (-3.0 <= x && x < 3.0) {
                    return sinc(x) * sinc(x / 3);
                }
                return 0.0;
            }
        };

        private final double support;

        Filter(double support) {
            this.support = support;
        }

        abstract double weight(double x);

        private static double sinc(double x) {
            if (x == 0.0) {
                return 1.0;
            }
            x = x * Math.PI;
            return Math.sin(x) / x;
        }
    }


    /** Resample.c {@code PRECISION_BITS}: 8 bits of result, 2 bits of headroom. */
    private static final int PRECISION_BITS = 32 - 8 - 2;

    private PillowResample() {
    }

    /**
     * Resizes interleaved 8-bit pixels ({@code inH x inW x channels}, row-major).
     *
     * @return {@code outH x outW x channels} bytes (a copy when the size does not change)
     */
    public static byte[] resize(byte[] pixels, int channels, int inW, int inH, int outW, int outH, Filter filter) {
        if (channels < 1) {
            throw new IllegalArgumentException("channels must be >= 1, got " + channels);
        }
        if ((long) inW * inH * channels != pixels.length) {
            throw new IllegalArgumentException("a " + inW + "x" + inH + "x" + channels + " image needs "
                    + ((long) inW * inH * channels) + " bytes, got " + pixels.length);
        }
        if (outW < 1 || outH < 1) {
            throw new IllegalArgumentException("height and width must be > 0, got " + outW + "x" + outH);
        }
        if (inW == outW && inH == outH) {
            return pixels.clone();
        }
        int[] img = new int[pixels.length];
        for (int i = 0; i < img.length; i++) {
            img[i] = pixels[i] & 0xFF;
        }
        int[] r = resample(img, channels, inW, inH, outW, outH, filter);
        byte[] out = new byte[r.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) r[i];
        }
        return out;
    }

    /**
     * The same on 0..255 values held in ints (e.g. premultiplied RGBa); sizes must differ in at least one
     * dimension.
     */
    static int[] resample(int[] img, int channels, int inW, int inH, int outW, int outH, Filter filter) {
        int w = inW;
        Coefficients horiz = Coefficients.of(inW, outW, filter);
        Coefficients vert = Coefficients.of(inH, outH, filter);
        if (outW != inW) {
            // Pillow only computes the source rows the vertical pass reads; the values are the same.
            int yFirst = vert.min[0];
            int yLast = vert.min[outH - 1] + vert.count[outH - 1];
            img = horizontal(img, channels, w, yFirst, yLast - yFirst, horiz);
            for (int i = 0; i < outH; i++) {
                vert.min[i] -= yFirst;
            }
            w = outW;
        }
        if (outH != inH) {
            img = vertical(img, channels, w, vert, outH);
        }
        return img;
    }

    private static int[] horizontal(int[] in, int ch, int w, int yOffset, int rows, Coefficients k) {
        int outW = k.outSize;
        int[] out = new int[outW * rows * ch];
        for (int y = 0; y < rows; y++) {
            int rowIn = (y + yOffset) * w * ch;
            for (int xx = 0; xx < outW; xx++) {
                int xmin = k.min[xx];
                int n = k.count[xx];
                int kOff = xx * k.ksize;
                for (int c = 0; c < ch; c++) {
                    int ss = 1 << (PRECISION_BITS - 1);
                    for (int x = 0; x < n; x++) {
                        ss += in[rowIn + (x + xmin) * ch + c] * k.fixed[kOff + x];
                    }
                    out[(y * outW + xx) * ch + c] = clip8(ss);
                }
            }
        }
        return out;
    }

    private static int[] vertical(int[] in, int ch, int w, Coefficients k, int outH) {
        int[] out = new int[w * outH * ch];
        for (int yy = 0; yy < outH; yy++) {
            int ymin = k.min[yy];
            int n = k.count[yy];
            int kOff = yy * k.ksize;
            for (int x = 0; x < w; x++) {
                for (int c = 0; c < ch; c++) {
                    int ss = 1 << (PRECISION_BITS - 1);
                    for (int y = 0; y < n; y++) {
                        ss += in[((y + ymin) * w + x) * ch + c] * k.fixed[kOff + y];
                    }
                    out[(yy * w + x) * ch + c] = clip8(ss);
                }
            }
        }
        return out;
    }

    private static int clip8(int ss) {
        if (ss >= (1 << PRECISION_BITS << 8)) {
            return 255;
        }
        if (ss <= 0) {
            return 0;
        }
        return ss >> PRECISION_BITS;
    }

    /** Per output pixel: first input index, tap count and fixed-point taps ({@code precompute_coeffs}). */
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
        static Coefficients of(int inSize, int outSize, Filter filter) {
            double scale = (double) inSize / outSize;
            double filterscale = Math.max(scale, 1.0);
            double support = filter.support * filterscale;
            int ksize = (int) Math.ceil(support) * 2 + 1;
            Coefficients k = new Coefficients(outSize, ksize);
            double[] w = new double[ksize];
            for (int xx = 0; xx < outSize; xx++) {
                double center = (xx + 0.5) * scale;
                double ss = 1.0 / filterscale;
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
                    double v = filter.weight((x + xmin - center + 0.5) * ss);
                    w[x] = v;
                    ww += v;
                }
                for (int x = 0; x < xmax; x++) {
                    double v = ww != 0.0 ? w[x] / ww : w[x];
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
