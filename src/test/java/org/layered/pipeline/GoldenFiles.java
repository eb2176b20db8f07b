package org.layered.pipeline;

import org.layered.testing.Goldens;
import com.google.gson.JsonObject;
import org.layered.engine.ComputeDevice;
import org.layered.engine.Ops;
import org.layered.engine.Tensor;
import org.layered.weights.config.JsonConfig;
import org.layered.weights.safetensors.SafetensorsFile;
import org.layered.weights.safetensors.TensorInfo;
import org.layered.weights.safetensors.TensorValues;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A golden safetensors file from the test resources ({@code /golden/...}), read into Java arrays. */
public final class GoldenFiles implements AutoCloseable {
    private final SafetensorsFile file;

    private GoldenFiles(SafetensorsFile file) {
        this.file = file;
    }

    /** A file or folder below {@code src/test/resources/golden}. */
    public static Path resource(String relative) {
        return Goldens.resource(relative);
    }

    public static GoldenFiles open(String relative) {
        try {
            return new GoldenFiles(SafetensorsFile.open(resource(relative)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static GoldenFiles helpers() {
        return open("helpers/helpers_golden.safetensors");
    }

    /** A golden JSON file as a gson object. */
    public static JsonObject json(String relative) {
        try {
            return JsonConfig.read(resource(relative)).json();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public List<String> names() {
        List<String> out = new ArrayList<>();
        for (TensorInfo t : file.tensors()) {
            out.add(t.name());
        }
        return out;
    }

    public long[] shape(String name) {
        return file.info(name).shape();
    }

    public float[] floats(String name) {
        try {
            return TensorValues.toFloats(file.info(name), file.data(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public double[] doubles(String name) {
        try {
            return TensorValues.toDoubles(file.info(name), file.data(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Integer or U8 values (U8 unsigned). */
    public long[] longs(String name) {
        try {
            return TensorValues.toLongs(file.info(name), file.data(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** U8 values as bytes. */
    public byte[] bytes(String name) {
        long[] v = longs(name);
        byte[] out = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (byte) v[i];
        }
        return out;
    }

    /** A float32 CPU tensor in the current scope. */
    public Tensor tensor(String name) {
        return Ops.fromFloats(floats(name), shape(name), ComputeDevice.CPU);
    }

    /** Max |a - b| after checking the lengths; NaN anywhere gives NaN. */
    public static double maxAbsDiff(float[] a, float[] b) {
        return Goldens.maxAbsDiff(a, b);
    }

    /** Number of elements whose float bits differ. */
    public static int bitDiffs(float[] a, float[] b) {
        assertEquals(b.length, a.length, "element count");
        int n = 0;
        for (int i = 0; i < a.length; i++) {
            if (Float.floatToIntBits(a[i]) != Float.floatToIntBits(b[i])) {
                n++;
            }
        }
        return n;
    }

    @Override
    public void close() {
        try {
            file.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
