package org.layered.fiji;

import ij.IJ;
import org.layered.engine.Cancellation;
import org.layered.pipeline.ProgressClock;
import org.layered.pipeline.ProgressListener;

import java.awt.GraphicsEnvironment;
import java.util.Locale;

/**
 * Progress for ImageJ 1.x, with the time elapsed and, while denoising, the time left: the status bar and progress
 * bar and a Log line per stage (updated in place by each step) in the GUI; one Log line per stage and step where
 * there is no ImageJ window (headless, {@code -batch}). Pressing Esc cancels the run at its next step.
 */
public final class Ij1Progress implements ProgressListener {
    private final Cancellation cancel;
    private final boolean lines;
    private volatile String prefix = "";
    private final ProgressClock clock = new ProgressClock();
    /** Whether the Log's last line is this run's step line, which the next step replaces. */
    private boolean stepLineLast;

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
        clock.stage();
        String text = prefix + name + " (" + clock.elapsedText() + ")";
        IJ.showStatus("Layered: " + text + "... (Esc cancels)");
        IJ.log((lines ? "[layered] " : "Layered: ") + text);
        stepLineLast = false;
    }

    @Override
    public void note(String message) {
        IJ.log("[layered] " + prefix + message);
        stepLineLast = false;
    }

    @Override
    public void step(int step, int total) {
        checkEscape();
        double took = clock.step(step, total);
        String text = prefix + clock.stepText(step, total);
        IJ.showProgress(step, total);
        IJ.showStatus("Layered: " + text + " (Esc cancels)");
        if (lines) {
            IJ.log(String.format(Locale.ROOT, "[layered] %s (%.2f s)", text, took));
        } else {
            // one line in the Log window that each step updates
            IJ.log((stepLineLast ? "\\Update:" : "") + "Layered: " + text);
            stepLineLast = true;
        }
    }

    /** Clears the progress bar. */
    public void done() {
        IJ.showProgress(1.0);
    }
}
