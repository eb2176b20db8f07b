package org.layered.layers;

import org.layered.image.RgbaImage;

import java.util.List;

/**
 * Porter-Duff "over" of straight-alpha 8-bit layers, bottom to top, onto a transparent canvas — what an image
 * editor shows when the layers are stacked — and the error of that composite against a reference image.
 */
public final class Compositor {
    private Compositor() {}

    /**
     * Composites {@code layers} (index 0 = bottom). All layers must have the same size.
     *
     * @return straight-alpha RGBA, rounded half up to 8 bits
     */
    public static RgbaImage over(List<RgbaImage> layers) {
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("nothing to composite: no layers");
        }
        int w = layers.get(0).width();
        int h = layers.get(0).height();
        int n = w * h;
        // premultiplied accumulators in [0, 1]
        double[] r = new double[n];
        double[] g = new double[n];
        double[] b = new double[n];
        double[] a = new double[n];
        for (RgbaImage layer : layers) {
            if (layer.width() != w || layer.height() != h) {
                throw new IllegalArgumentException("layer sizes differ: " + layer.width() + "x" + layer.height()
                        + " vs " + w + "x" + h);
            }
            byte[] px = layer.rgba();
            for (int i = 0; i < n; i++) {
                double la = (px[4 * i + 3] & 0xff) / 255.0;
                double keep = 1 - la;
                r[i] = (px[4 * i] & 0xff) / 255.0 * la + r[i] * keep;
                g[i] = (px[4 * i + 1] & 0xff) / 255.0 * la + g[i] * keep;
                b[i] = (px[4 * i + 2] & 0xff) / 255.0 * la + b[i] * keep;
                a[i] = la + a[i] * keep;
            }
        }
        byte[] out = new byte[4 * n];
        for (int i = 0; i < n; i++) {
            double alpha = a[i];
            if (alpha > 0) {
                out[4 * i] = to8(r[i] / alpha);
                out[4 * i + 1] = to8(g[i] / alpha);
                out[4 * i + 2] = to8(b[i] / alpha);
            }
            out[4 * i + 3] = to8(alpha);
        }
        return new RgbaImage(w, h, out);
    }

    /**
     * {@code image} flattened onto white, as ImageJ shows a transparent PNG and Photoshop stores a transparent
     * document's merged colours: {@code round((c*a + 255*(255-a)) / 255)} per colour; the result is opaque.
     */
    public static RgbaImage onWhite(RgbaImage image) {
        byte[] px = image.rgba();
        for (int i = 0; i < px.length; i += 4) {
            int a = px[i + 3] & 0xFF;
            for (int c = 0; c < 3; c++) {
                px[i + c] = (byte) overWhite(px[i + c] & 0xFF, a);
            }
            px[i + 3] = (byte) 255;
        }
        return new RgbaImage(image.width(), image.height(), px);
    }

    /** Straight colour {@code c} with alpha {@code a} over white, rounded: {@code round((c*a + 255*(255-a)) / 255)}. */
    public static int overWhite(int c, int a) {
        return (c * a + 255 * (255 - a) + 127) / 255;
    }

    private static byte to8(double v) {
        return (byte) Math.max(0, Math.min(255, (int) Math.floor(v * 255 + 0.5)));
    }

    /**
     * How well a composite reproduces a reference: mean and maximum absolute difference on the 0-255 scale over
     * premultiplied colour and alpha (so the colour of fully transparent pixels, which nobody sees, does not count),
     * and the PSNR in dB.
     */
    public record Error(double meanAbs, int maxAbs, double psnr) {}

    public static Error error(RgbaImage composite, RgbaImage reference) {
        if (composite.width() != reference.width() || composite.height() != reference.height()) {
            throw new IllegalArgumentException("sizes differ: " + composite.width() + "x" + composite.height()
                    + " vs " + reference.width() + "x" + reference.height());
        }
        byte[] x = composite.rgba();
        byte[] y = reference.rgba();
        double sum = 0;
        double sq = 0;
        int max = 0;
        int n = x.length / 4;
        for (int i = 0; i < n; i++) {
            int ax = x[4 * i + 3] & 0xff;
            int ay = y[4 * i + 3] & 0xff;
            for (int c = 0; c < 4; c++) {
                double vx = c == 3 ? ax : (x[4 * i + c] & 0xff) * ax / 255.0;
                double vy = c == 3 ? ay : (y[4 * i + c] & 0xff) * ay / 255.0;
                double d = Math.abs(vx - vy);
                sum += d;
                sq += d * d;
                max = Math.max(max, (int) Math.round(d));
            }
        }
        double mse = sq / (4.0 * n);
        double psnr = mse == 0 ? Double.POSITIVE_INFINITY : 10 * Math.log10(255.0 * 255.0 / mse);
        return new Error(sum / (4.0 * n), max, psnr);
    }
}
