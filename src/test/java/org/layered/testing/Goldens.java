package org.layered.testing;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;

/** Shared helpers for the golden-data tests: where the goldens are, and the error measures they use. */
public final class Goldens {
    private Goldens() {}

    /** A file or folder below {@code src/test/resources/golden} (from the test classpath). */
    public static Path resource(String relative) {
        URL url = Goldens.class.getResource("/golden/" + relative);
        if (url == null) {
            throw new AssertionError("test resource /golden/" + relative + " is missing");
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Largest absolute difference (NaN if any difference is NaN); the arrays must have the same length. */
    public static double maxAbsDiff(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new AssertionError("element count " + a.length + " != " + b.length);
        }
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            double d = Math.abs((double) a[i] - b[i]);
            if (Double.isNaN(d)) {
                return Double.NaN;
            }
            m = Math.max(m, d);
        }
        return m;
    }

    /** Largest absolute value. */
    public static double maxAbs(float[] a) {
        double m = 0;
        for (float v : a) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }
}
