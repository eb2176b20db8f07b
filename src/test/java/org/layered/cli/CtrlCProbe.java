package org.layered.cli;

import org.layered.engine.Cancellation;

/**
 * Child-process helper for {@link CtrlCTest}: Ctrl-C handling around a long step that never looks at the cancel
 * flag (as a native computation would not), so only a second Ctrl-C can end it early.
 */
public final class CtrlCProbe {
    private CtrlCProbe() {}

    public static void main(String[] args) throws Exception {
        Cancellation cancel = new Cancellation();
        try (CtrlC ctrlC = CtrlC.install(cancel, System.err, "probe")) {
            System.out.println("ready");
            boolean seen = false;
            long end = System.nanoTime() + 60_000_000_000L;
            while (System.nanoTime() < end) {
                if (!seen && cancel.isCancelled()) {
                    System.out.println("cancel requested");
                    seen = true;
                }
                Thread.sleep(20);
            }
        }
        System.out.println("the step ended by itself");
        System.exit(3);
    }
}
