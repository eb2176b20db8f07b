package org.layered.weights;

import org.layered.engine.DType;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Compares a weight source with the tensors a model's config implies, collecting every problem (missing tensor,
 * other shape, non-floating dtype, tensors the config does not account for), and fails with one line naming the
 * first of them. Loading and {@code layered info} run the same checks, so a model that {@code info} passes loads.
 */
public final class WeightCheck {
    private static final int SHOWN = 4;

    private final WeightSource source;
    private final String what;
    private final List<String> problems = new ArrayList<>();

    /** @param what the component's weights in words, e.g. {@code "transformer weights"} */
    public WeightCheck(WeightSource source, String what) {
        this.source = source;
        this.what = what;
    }

    /** Tensor {@code name} must exist with {@code shape} and a floating dtype. */
    public WeightCheck expect(String name, long... shape) {
        if (!source.contains(name)) {
            problems.add("missing " + name + " " + Arrays.toString(shape));
            return this;
        }
        long[] actual = source.shape(name);
        if (!Arrays.equals(actual, shape)) {
            problems.add(name + " has shape " + Arrays.toString(actual) + ", expected " + Arrays.toString(shape));
        }
        DType t = source.dtype(name);
        if (!t.isFloating()) {
            problems.add(name + " has dtype " + t + ", expected a floating type");
        }
        return this;
    }

    /** Any other problem, in words. */
    public WeightCheck problem(String description) {
        problems.add(description);
        return this;
    }

    /** The problems found so far. */
    public List<String> problems() {
        return List.copyOf(problems);
    }

    /**
     * Fails when a problem was found.
     *
     * @param config what the weights were compared with, e.g. {@code "its config.json (num_layers=60)"}
     * @throws IOException one line: the source's file, the count and the first problems
     */
    public void throwIfAny(String config) throws IOException {
        if (problems.isEmpty()) {
            return;
        }
        StringBuilder sb = new StringBuilder(what + " in " + source.describe() + " do not match " + config + " ("
                + problems.size() + " problem(s)): ");
        sb.append(String.join("; ", problems.subList(0, Math.min(SHOWN, problems.size()))));
        if (problems.size() > SHOWN) {
            sb.append("; and ").append(problems.size() - SHOWN).append(" more");
        }
        throw new IOException(sb.toString());
    }
}
