package org.layered.fiji;

import org.layered.store.ModelDescriptor;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * The line Layered writes to the Log once per session, before its first decomposition: the paper to cite and the
 * model's licence, from the built-in model descriptor.
 */
public final class Citation {
    /** The paper behind the model. */
    public static final String PAPER = "Qwen-Image-Layered, arXiv 2512.15603 (https://arxiv.org/abs/2512.15603)";

    private static final AtomicBoolean LOGGED = new AtomicBoolean();

    private Citation() {}

    /** The line: the model, the paper to cite, the licence and where it is published. */
    public static String line() {
        ModelDescriptor d = ModelDescriptor.builtins().get(0);
        ModelDescriptor.Licence l = d.licence();
        return "Layered runs " + d.name() + " (" + d.repo() + "). Please cite: " + PAPER + ". Model licence: "
                + l.spdx() + " (" + l.url() + ")";
    }

    /** Forgets that the line was written (tests). */
    static void forget() {
        LOGGED.set(false);
    }

    /** Writes {@link #line()} to {@code log} unless it was written before in this session. */
    public static void logOnce(Consumer<String> log) {
        if (LOGGED.compareAndSet(false, true)) {
            log.accept(line());
        }
    }
}
