package org.layered.model.text.vision;

import org.layered.testing.Goldens;
import org.layered.weights.safetensors.SafetensorsFile;
import org.layered.weights.safetensors.TensorInfo;
import org.layered.weights.safetensors.TensorValues;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** The image-processor and vision-tower goldens of the text-encoder golden folder (test resources). */
final class VisionGolden {
    private static final Map<String, Map<String, Tensor>> FILES = new HashMap<>();

    private VisionGolden() {
    }

    /** A golden tensor: shape, values as floats and (integer tensors) as longs. */
    record Tensor(long[] shape, float[] values, long[] longs) {
        long[][] rows() {
            int r = (int) shape[0];
            int c = (int) shape[1];
            long[][] out = new long[r][c];
            for (int i = 0; i < r; i++) {
                System.arraycopy(longs, i * c, out[i], 0, c);
            }
            return out;
        }

        int[] ints() {
            int[] out = new int[longs.length];
            for (int i = 0; i < out.length; i++) {
                out[i] = Math.toIntExact(longs[i]);
            }
            return out;
        }
    }

    static Path dir() {
        URL u = VisionGolden.class.getResource("/golden/text_encoder/config.json");
        if (u == null) {
            throw new IllegalStateException("test resource /golden/text_encoder/config.json is missing");
        }
        try {
            return Path.of(u.toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static synchronized Tensor get(String file, String name) {
        Map<String, Tensor> m = FILES.computeIfAbsent(file, f -> {
            Map<String, Tensor> out = new HashMap<>();
            try (SafetensorsFile sf = SafetensorsFile.open(dir().resolve(f))) {
                for (TensorInfo t : sf.tensors()) {
                    long[] longs = t.dtype().isFloating() ? null : TensorValues.toLongs(t, sf.data(t.name()));
                    out.put(t.name(), new Tensor(t.shape(), TensorValues.toFloats(t, sf.data(t.name())), longs));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return out;
        });
        Tensor t = m.get(name);
        if (t == null) {
            throw new IllegalArgumentException("no golden tensor " + name + " in " + file);
        }
        return t;
    }

    static double maxAbsDiff(float[] a, float[] b) {
        return Goldens.maxAbsDiff(a, b);
    }
}
