package org.layered.model.vae;

import org.layered.testing.Goldens;
import org.layered.engine.ComputeDevice;
import org.layered.engine.Ops;
import org.layered.engine.Tensor;
import org.layered.weights.safetensors.SafetensorsFile;
import org.layered.weights.safetensors.TensorInfo;
import org.layered.weights.safetensors.TensorValues;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The VAE golden folder from the test resources and comparison helpers. */
final class VaeGolden {
    /** README tolerances (float32 CPU). */
    static final double LATENT_TOL = 1e-5;
    static final double PIXEL_TOL = 5e-5;

    private VaeGolden() {
    }

    static Path dir() {
        URL u = VaeGolden.class.getResource("/golden/vae/config.json");
        if (u == null) {
            throw new IllegalStateException("test resource golden/vae/config.json is missing");
        }
        try {
            return Path.of(u.toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A loaded golden tensor: shape and float values. */
    record Golden(long[] shape, float[] values) {
        Tensor tensor() {
            return Ops.fromFloats(values, shape, ComputeDevice.CPU);
        }
    }

    private static Map<String, Golden> cache;

    static synchronized Map<String, Golden> all() {
        if (cache == null) {
            Map<String, Golden> m = new HashMap<>();
            try (SafetensorsFile f = SafetensorsFile.open(dir().resolve("vae_golden.safetensors"))) {
                for (TensorInfo t : f.tensors()) {
                    m.put(t.name(), new Golden(t.shape(), TensorValues.toFloats(t, f.data(t.name()))));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            cache = m;
        }
        return cache;
    }

    static Golden get(String name) {
        Golden g = all().get(name);
        if (g == null) {
            throw new IllegalArgumentException("no golden tensor " + name);
        }
        return g;
    }

    static double maxAbsDiff(float[] a, float[] b) {
        return Goldens.maxAbsDiff(a, b);
    }

    static double maxAbs(float[] a) {
        return Goldens.maxAbs(a);
    }

    /** Compares {@code actual} with golden {@code name} (shape and values), prints and asserts the error. */
    static double check(String name, Tensor actual, double tol) {
        Golden g = get(name);
        assertArrayEquals(g.shape(), actual.shape(), name + " shape");
        return check(name, actual.toFloats(), tol);
    }

    static double check(String name, float[] actual, double tol) {
        Golden g = get(name);
        double d = maxAbsDiff(g.values(), actual);
        System.out.printf("  %-40s max|err| %.3e  (max|ref| %.3f, tol %.0e)%n", name, d, maxAbs(g.values()), tol);
        assertTrue(d <= tol, name + ": max abs error " + d + " > " + tol + " (shape " + Arrays.toString(g.shape())
                + ")");
        return d;
    }
}
