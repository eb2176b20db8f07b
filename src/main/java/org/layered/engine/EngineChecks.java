package org.layered.engine;

import ai.djl.pytorch.engine.PtNDArray;

/**
 * Self-checks of the facade's bookkeeping, for tests: while enabled, every dtype the facade infers for a tensor DJL
 * cannot name (bf16, float8) is confirmed with libtorch, and every result the memory accounting treats as a view of
 * its input is confirmed to share its storage. A mismatch throws. Slow (extra native calls per op); off by default.
 */
public final class EngineChecks {
    private static volatile boolean enabled;

    private EngineChecks() {}

    /** Turns the checks on or off; returns the previous state. */
    public static boolean enable(boolean on) {
        boolean old = enabled;
        enabled = on;
        return old;
    }

    static boolean enabled() {
        return enabled;
    }

    static void requireDtype(PtNDArray a, DType inferred) {
        DType actual = Ops.dtypeCode(a);
        if (actual != inferred) {
            throw new EngineException("engine check: an op result was taken for " + inferred + " but libtorch says "
                    + actual);
        }
    }

    static void requireView(Tensor base, PtNDArray view) {
        if (!Ops.sharesStorage(base, view)) {
            throw new EngineException("engine check: a result counted as a view of " + base + " has storage of "
                    + "its own");
        }
    }
}
