package org.layered.fiji;

import ij.IJ;
import org.layered.engine.Cancellation;
import org.layered.pipeline.ProgressListener;

import java.awt.GraphicsEnvironment;
import java.util.Locale;

/**
 * Progress for ImageJ 1.x: the status bar and progress bar in the GUI, one line per stage and step where there is
 * no ImageJ window (headless, {@code -batch}); pressing Esc cancels the run at its next step.
 */
public final class Ij1Progress implements ProgressListener {
    private final Cancellation cancel;
    private final boolean lines;
    private volatile String prefix = "";
    private long stepStart = System.nanoTime();

    /** @param lines print a line per stage and step (true where nobody sees a status bar) */
    public Ij1Progress(Cancellation cancel, boolean lines) {
        this.cancel = cancel;
        this.lines = lines;
        IJ.resetEscape();
    }

    /** Lines when there is no ImageJ window to show a status bar. */
    public static Ij1Progress forCurrentSession(Cancellation cancel) {
        return new Ij1Progress(cancel, GraphicsEnvironment.isHeadless() || IJ.getInstance() == null);
    }

    /** Text put before every message, e.g. {@code "image 2/7: "}. */
    public void prefix(String p) {
        prefix = p == null ? "" : p;
    }

    private void checkEscape() {
        if (IJ.escapePressed()) {
            cancel.cancel();
        }
    }

    @Override
    public void stage(String name) {
        checkEscape();
        IJ.showStatus("Layered: " + prefix + name + "...");
        if (lines) {
            IJ.log("[layered] " + prefix + name);
        }
        stepStart = System.nanoTime();
    }

    @Override
    public void note(String message) {
        IJ.log("[layered] " + prefix + message);
    }

    @Override
    public void step(int step, int total) {
        checkEscape();
        long now = System.nanoTime();
        IJ.showProgress(step, total);
        IJ.showStatus("Layered: " + prefix + "step " + step + "/" + total + " (Esc cancels)");
        if (lines) {
            IJ.log(String.format(Locale.ROOT, "[layered] %sstep %d/%d (%.2f s)", prefix, step, total,
                    (now - stepStart) / 1e9));
        }
        stepStart = now;
    }

    /** Clears the progress bar. */
    public void done() {
        IJ.showProgress(1.0);
    }
}
