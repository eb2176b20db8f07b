package org.layered.fiji.scijava;

import org.layered.engine.Cancellation;
import org.layered.pipeline.ProgressClock;
import org.layered.pipeline.ProgressListener;
import org.scijava.app.StatusService;
import org.scijava.log.LogService;
import org.scijava.task.Task;

import java.util.Locale;

/**
 * Progress for SciJava: a {@link Task} (Fiji shows it with a cancel button; cancelling it stops the run at its next
 * step), status messages with the time elapsed and, while denoising, the time left, and a log line per stage (and
 * per step when headless).
 */
final class SciJavaProgress implements ProgressListener {
    private final Task task;
    private final StatusService status;
    private final LogService log;
    private final boolean lines;
    private final ProgressClock clock = new ProgressClock();

    SciJavaProgress(Task task, StatusService status, LogService log, boolean lines, Cancellation cancel) {
        this.task = task;
        this.status = status;
        this.log = log;
        this.lines = lines;
        if (task != null) {
            task.setCancelCallBack(cancel::cancel);
            task.start();
        }
    }

    @Override
    public void stage(String name) {
        clock.stage();
        String text = name + " (" + clock.elapsedText() + ")";
        if (task != null) {
            task.setStatusMessage(text);
        }
        if (status != null) {
            status.showStatus("Layered: " + text);
        }
        if (log != null) {
            log.info((lines ? "[layered] " : "Layered: ") + text);
        }
    }

    @Override
    public void note(String message) {
        if (log != null) {
            log.info("[layered] " + message);
        }
    }

    @Override
    public void step(int step, int total) {
        double took = clock.step(step, total);
        String text = clock.stepText(step, total);
        if (task != null) {
            task.setProgressMaximum(total);
            task.setProgressValue(step);
            task.setStatusMessage(text);
        }
        if (status != null) {
            status.showStatus(step, total, "Layered: " + text);
        }
        if (lines && log != null) {
            log.info(String.format(Locale.ROOT, "[layered] %s (%.2f s)", text, took));
        }
    }

    void finish() {
        if (task != null) {
            task.finish();
        }
        if (status != null) {
            status.clearStatus();
        }
    }
}
