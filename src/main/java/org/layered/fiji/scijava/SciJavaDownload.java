package org.layered.fiji.scijava;

import org.layered.fiji.DecomposeException;
import org.layered.fiji.Messages;
import org.layered.fiji.ModelDownload;
import org.layered.store.DownloadProgress;
import org.layered.store.FetchPlan;
import org.layered.store.ModelNotFoundException;
import org.layered.store.ModelStore;
import org.scijava.app.StatusService;
import org.scijava.log.LogService;
import org.scijava.task.Task;
import org.scijava.task.TaskService;
import org.scijava.ui.DialogPrompt;
import org.scijava.ui.UIService;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A download in SciJava (a model, or an engine for Set Up GPU...): a {@link Task} (Fiji shows it with a cancel button), bytes, rate and ETA as status
 * messages, and a log line per file and about every 30 s when headless. Used by Download Model... and by Decompose
 * when it offers to download a missing model.
 */
final class SciJavaDownload implements DownloadProgress {
    private static final long LINE_INTERVAL = TimeUnit.SECONDS.toNanos(30);

    private final StatusService status;
    private final LogService log;
    private final boolean lines;
    private final Task task;
    private volatile boolean cancelled;
    private long lastLine = System.nanoTime();

    SciJavaDownload(TaskService tasks, StatusService status, LogService log, boolean lines, String ref) {
        this.status = status;
        this.log = log;
        this.lines = lines;
        this.task = tasks == null ? null : tasks.createTask("Layered: download " + ref);
        if (task != null) {
            task.setCancelCallBack(() -> cancelled = true);
            task.setProgressMaximum(1000);
            task.start();
        }
    }

    /** Downloads {@code ref}; {@code extraCancel} is polled too (the command's own cancellation). */
    ModelStore.FetchResult fetch(ModelStore store, String ref, BooleanSupplier extraCancel)
            throws DecomposeException {
        try {
            return ModelDownload.fetch(store, ref, this, cancel(extraCancel));
        } finally {
            finish();
        }
    }

    /** Polled by the download threads: the task's cancel button, or {@code extra} (may be null). */
    BooleanSupplier cancel(BooleanSupplier extra) {
        return () -> cancelled || (task != null && task.isCanceled()) || (extra != null && extra.getAsBoolean());
    }

    /** Ends the task and clears the status. */
    void finish() {
        if (task != null) {
            task.finish();
        }
        if (status != null) {
            status.clearStatus();
        }
    }

    @Override
    public void planned(FetchPlan plan) {
        log.info("Layered: fetching " + plan.summary());
        if (plan.isComplete()) {
            log.info("Layered: all files are already in the cache");
        }
    }

    @Override
    public void fileFinished(String path, long size, FileOutcome outcome) {
        if (lines) {
            log.info("[layered] " + (outcome == FileOutcome.DOWNLOADED ? "verified " : "reused ") + path);
        }
    }

    @Override
    public void message(String text) {
        log.info("Layered: " + text);
    }

    @Override
    public void progress(Snapshot s) {
        String line = "Layered: " + switch (s.phase()) {
            case LISTING -> "listing ";
            case DOWNLOADING -> "downloading ";
            case VERIFYING -> "verifying ";
            case DONE -> "downloaded ";
        } + s.format();
        int permille = (int) Math.round(1000 * s.fraction());
        if (task != null) {
            task.setStatusMessage(line);
            task.setProgressValue(permille);
        }
        if (status != null) {
            status.showStatus(permille, 1000, line);
        }
        long now = System.nanoTime();
        if (lines && s.phase() == Phase.DOWNLOADING && now - lastLine >= LINE_INTERVAL) {
            lastLine = now;
            log.info("[layered] " + line);
        }
    }

    /** Asks a person to confirm (OK/Cancel); true when confirmed. */
    static boolean confirm(UIService ui, String title, String question) {
        return ui.showDialog(Messages.wrap(question, Messages.DIALOG_WIDTH), title,
                DialogPrompt.MessageType.QUESTION_MESSAGE, DialogPrompt.OptionType.OK_CANCEL_OPTION)
                == DialogPrompt.Result.OK_OPTION;
    }

    /** The offer of an interactive Decompose when the model is missing. */
    static boolean offer(ModelNotFoundException missing, ModelStore store, UIService ui, TaskService tasks,
            StatusService status, LogService log) throws DecomposeException {
        if (!confirm(ui, "Layered: model not found", ModelDownload.offer(missing) + "\n\nIt goes into "
                + ModelDownload.destination(store) + ".\nYou can also download it later with "
                + ModelDownload.MENU)) {
            return false;
        }
        String ref = missing.ref().toString();
        ModelStore.FetchResult r = new SciJavaDownload(tasks, status, log, false, ref).fetch(store, ref, null);
        log.info(ModelDownload.summary(r));
        return true;
    }
}
