package org.layered.engine;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A cancel request shared between a front end (Esc, a task's cancel button, Ctrl-C) and a running pipeline, which
 * checks it between steps and stages and then unwinds, closing every tensor scope on the way.
 */
public final class Cancellation {
    private final AtomicBoolean cancelled = new AtomicBoolean();

    /** Asks the pipeline to stop at the next check. */
    public void cancel() {
        cancelled.set(true);
    }

    public boolean isCancelled() {
        return cancelled.get();
    }

    /** @throws CancelledException when cancel() was called */
    public void check() {
        if (cancelled.get()) {
            throw new CancelledException();
        }
    }

    /** Thrown out of a pipeline run that was cancelled; all native memory of the run is released by then. */
    public static final class CancelledException extends RuntimeException {
        public CancelledException() {
            super("decomposition cancelled");
        }
    }
}
