package org.layered.model.vae;

import org.layered.engine.ComputeDevice;
import org.layered.engine.DType;
import org.layered.engine.Tensor;
import org.layered.weights.WeightSource;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Loads the VAE's tensors by their diffusers names in the compute dtype, checking each stored shape against the one
 * the config implies and remembering which names were used, so that a config that does not match the checkpoint
 * fails with a message naming the tensor instead of computing garbage.
 */
final class VaeWeights {
    private final WeightSource source;
    private final VaeConfig config;
    private final DType dtype;
    private final ComputeDevice device;
    private final Set<String> used = new TreeSet<>();

    VaeWeights(WeightSource source, VaeConfig config, DType dtype, ComputeDevice device) {
        this.source = source;
        this.config = config;
        this.dtype = dtype;
        this.device = device;
    }

    DType dtype() {
        return dtype;
    }

    /** Tensor {@code name} in the current scope, converted to the compute dtype; its stored shape must be {@code shape}. */
    Tensor load(String name, long... shape) throws IOException {
        check(name, shape);
        used.add(name);
        return source.load(name, dtype, device); // a fresh tensor: the source can be closed afterwards
    }

    /** Checks presence and shape of a tensor the single-frame path does not use (a resample's {@code time_conv}). */
    void expectUnused(String name, long... shape) throws IOException {
        check(name, shape);
        used.add(name);
    }

    private void check(String name, long[] shape) throws IOException {
        if (!source.contains(name)) {
            throw new IOException(source.describe() + ": VAE weight '" + name + "' " + Arrays.toString(shape)
                    + " is missing; the checkpoint does not match its config.json (is it from the same model?)");
        }
        long[] stored = source.shape(name);
        if (!Arrays.equals(stored, shape)) {
            throw new IOException(source.describe() + ": VAE weight '" + name + "' has shape "
                    + Arrays.toString(stored) + " but its config.json implies " + Arrays.toString(shape)
                    + " (is config.json from the same model?)");
        }
    }

    /** Fails when the checkpoint holds tensors the config does not account for. */
    void checkAllUsed() throws IOException {
        List<String> extra = new ArrayList<>();
        for (String n : source.names()) {
            if (!used.contains(n)) {
                extra.add(n);
            }
        }
        if (!extra.isEmpty()) {
            throw new IOException(source.describe() + ": " + extra.size() + " tensor(s) are not part of the VAE "
                    + "its config.json describes, e.g. " + extra.subList(0, Math.min(5, extra.size()))
                    + " (is config.json from the same model?)");
        }
    }
}
