package org.layered.cli;

import org.layered.engine.Cancellation;

import java.io.PrintStream;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Ctrl-C for a command that stops between steps: the first one asks the run to stop at the next step boundary (the
 * command then cleans up, says so and exits with 130); a second one ends the process at once, also with 130. A
 * shutdown hook cannot do this, since the JVM exits whatever the hook does: SIGINT is caught with
 * {@code sun.misc.Signal} (module jdk.unsupported). Where that is missing, or the JVM reserves the signal
 * ({@code -Xrs}), Ctrl-C keeps the JVM's default and exits at once. Closing puts back the handler that was there.
 */
final class CtrlC implements AutoCloseable {
    private final Runnable restore;

    private CtrlC(Runnable restore) {
        this.restore = restore;
    }

    /** @param command the command's name, for the line a second Ctrl-C prints */
    static CtrlC install(Cancellation cancel, PrintStream err, String command) {
        AtomicInteger presses = new AtomicInteger();
        Runnable onInterrupt = () -> {
            if (presses.incrementAndGet() == 1) {
                err.println("[layered] Ctrl-C: stopping after the current step (press it again to quit at once)");
                cancel.cancel();
            } else {
                err.println("layered " + command + ": interrupted");
                err.flush();
                Runtime.getRuntime().halt(130);
            }
        };
        try {
            return new CtrlC(Trap.install(onInterrupt));
        } catch (LinkageError | IllegalArgumentException | IllegalStateException e) {
            return new CtrlC(() -> { });
        }
    }

    @Override
    public void close() {
        restore.run();
    }

    /** The only place that names {@code sun.misc}, loaded on first use, so its absence is a catchable error. */
    private static final class Trap {
        static Runnable install(Runnable onInterrupt) {
            sun.misc.Signal intSignal = new sun.misc.Signal("INT");
            sun.misc.SignalHandler previous = sun.misc.Signal.handle(intSignal, s -> onInterrupt.run());
            return () -> {
                try {
                    sun.misc.Signal.handle(intSignal, previous);
                } catch (IllegalArgumentException | IllegalStateException ignored) {
                    // nothing to restore
                }
            };
        }
    }
}
