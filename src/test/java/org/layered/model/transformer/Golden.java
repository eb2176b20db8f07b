package org.layered.model.transformer;

import org.layered.testing.Goldens;
import org.layered.engine.ComputeDevice;
import org.layered.engine.Ops;
import org.layered.engine.Tensor;
import org.layered.weights.safetensors.SafetensorsFile;
import org.layered.weights.safetensors.TensorInfo;
import org.layered.weights.safetensors.TensorValues;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** Reads golden tensors from the test resources ({@code /golden/...}). */
final class Golden implements AutoCloseable {
    private final SafetensorsFile file;

    private Golden(SafetensorsFile file) {
        this.file = file;
    }

    /** A folder or file below {@code src/test/resources/golden}. */
    static Path resource(String relative) {
        return Goldens.resource(relative);
    }

    static Path transformerDir() {
        return resource("transformer");
    }

    static Golden open(String relative) {
        try {
            return new Golden(SafetensorsFile.open(resource(relative)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Golden case1() {
        return open("transformer/transformer_case1.safetensors");
    }

    static Golden helpers() {
        return open("helpers/helpers_golden.safetensors");
    }

    boolean contains(String name) {
        return file.contains(name);
    }

    List<String> names(String prefix) {
        List<String> out = new ArrayList<>();
        for (TensorInfo t : file.tensors()) {
            if (t.name().startsWith(prefix)) {
                out.add(t.name());
            }
        }
        return out;
    }

    long[] shape(String name) {
        return file.info(name).shape();
    }

    float[] floats(String name) {
        try {
            return TensorValues.toFloats(file.info(name), file.data(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    long[] longs(String name) {
        try {
            return TensorValues.toLongs(file.info(name), file.data(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A float32 tensor in the current scope. */
    Tensor tensor(String name) {
        return Ops.fromFloats(floats(name), shape(name), ComputeDevice.CPU);
    }

    /** An int64 tensor in the current scope. */
    Tensor longTensor(String name) {
        return Ops.fromLongs(longs(name), shape(name), ComputeDevice.CPU);
    }

    /** Max |a - b|, checking the lengths. */
    static double maxAbsDiff(float[] a, float[] b) {
        return Goldens.maxAbsDiff(a, b);
    }

    static double maxAbs(float[] a) {
        return Goldens.maxAbs(a);
    }

    static void assertShape(long[] expected, Tensor t) {
        assertArrayEquals(expected, t.shape(), "shape of " + t);
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
