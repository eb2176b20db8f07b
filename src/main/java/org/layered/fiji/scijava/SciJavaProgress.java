package org.layered.fiji.scijava;

import org.layered.engine.Cancellation;
import org.layered.pipeline.ProgressListener;
import org.scijava.app.StatusService;
import org.scijava.log.LogService;
import org.scijava.task.Task;

import java.util.Locale;

/**
 * Progress for SciJava: a {@link Task} (Fiji shows it with a cancel button; cancelling it stops the run at its next
 * step), status messages, and a log line per stage and step when headless.
 */
final class SciJavaProgress implements ProgressListener {
    private final Task task;
    private final StatusService status;
    private final LogService log;
    private final boolean lines;
    private long stepStart = System.nanoTime();

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
        if (task != null) {
            task.setStatusMessage(name);
        }
        if (status != null) {
            status.showStatus("Layered: " + name);
        }
        if (lines && log != null) {
            log.info("[layered] " + name);
        }
        stepStart = System.nanoTime();
    }

    @Override
    public void note(String message) {
        if (log != null) {
            log.info("[layered] " + message);
        }
    }

    @Override
    public void step(int step, int total) {
        long now = System.nanoTime();
        if (task != null) {
            task.setProgressMaximum(total);
            task.setProgressValue(step);
        }
        if (status != null) {
            status.showStatus(step, total, "Layered: step " + step + "/" + total);
        }
        if (lines && log != null) {
            log.info(String.format(Locale.ROOT, "[layered] step %d/%d (%.2f s)", step, total,
                    (now - stepStart) / 1e9));
        }
        stepStart = now;
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
