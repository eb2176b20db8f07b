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

    /** Supplies one input row at a time as interleaved 0..255 values (e.g. premultiplied RGBa computed on the fly). */
    @FunctionalInterface
    interface RowSource {
        /** Fills {@code out} ({@code width * channels} values) with row {@code y}. */
        void row(int y, int[] out);
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
        int stride = inW * channels;
        return resample((y, row) -> {
            for (int i = 0, o = y * stride; i < stride; i++, o++) {
                row[i] = pixels[o] & 0xFF;
            }
        }, channels, inW, inH, outW, outH, filter);
    }

    /**
     * The same on rows from {@code source}; sizes must differ in at least one dimension. Memory is the output plus
     * a band of rows: the vertical pass needs at most as many (horizontally resampled) rows as its widest filter,
     * which are kept in a ring and computed as the output rows advance. Both passes do what Pillow does, value for
     * value: Pillow resamples horizontally only the rows the vertical pass reads, which is what the ring computes.
     */
    static byte[] resample(RowSource source, int channels, int inW, int inH, int outW, int outH, Filter filter) {
        Coefficients horiz = outW != inW ? Coefficients.of(inW, outW, filter) : null;
        Coefficients vert = outH != inH ? Coefficients.of(inH, outH, filter) : null;
        int w = horiz != null ? outW : inW; // the width of the rows the vertical pass reads
        int[] in = new int[inW * channels];
        byte[] out = new byte[Math.multiplyExact(Math.multiplyExact(outW, outH), channels)];
        if (vert == null) {
            int[] row = new int[w * channels];
            for (int y = 0; y < inH; y++) {
                source.row(y, in);
                horizontal(in, channels, horiz, row);
                for (int i = 0, o = y * row.length; i < row.length; i++, o++) {
                    out[o] = (byte) row[i];
                }
            }
            return out;
        }
        int band = 0;
        for (int c : vert.count) {
            band = Math.max(band, c);
        }
        // the filter windows' starts and ends never decrease, so a ring of `band` rows always holds a window
        byte[][] ring = new byte[band][w * channels];
        int[] row = new int[w * channels];
        int next = 0; // the next source row to compute
        for (int yy = 0; yy < outH; yy++) {
            int ymin = vert.min[yy];
            int n = vert.count[yy];
            next = Math.max(next, ymin);
            for (; next < ymin + n; next++) {
                source.row(next, in);
                if (horiz != null) {
                    horizontal(in, channels, horiz, row);
                } else {
                    System.arraycopy(in, 0, row, 0, row.length);
                }
                byte[] slot = ring[next % band];
                for (int i = 0; i < row.length; i++) {
                    slot[i] = (byte) row[i];
                }
            }
            int kOff = yy * vert.ksize;
            int o = yy * w * channels;
            for (int i = 0; i < w * channels; i++, o++) {
                int ss = 1 << (PRECISION_BITS - 1);
                for (int t = 0; t < n; t++) {
                    ss += (ring[(ymin + t) % band][i] & 0xFF) * vert.fixed[kOff + t];
                }
                out[o] = (byte) clip8(ss);
            }
        }
        return out;
    }

    /** One row through the horizontal filter ({@code out}: {@code k.outSize * ch} values, clipped to 0..255). */
    private static void horizontal(int[] in, int ch, Coefficients k, int[] out) {
        for (int xx = 0; xx < k.outSize; xx++) {
            int xmin = k.min[xx];
            int n = k.count[xx];
            int kOff = xx * k.ksize;
            for (int c = 0; c < ch; c++) {
                int ss = 1 << (PRECISION_BITS - 1);
                for (int x = 0; x < n; x++) {
                    ss += in[(x + xmin) * ch + c] * k.fixed[kOff + x];
                }
                out[xx * ch + c] = clip8(ss);
            }
        }
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
