package org.layered.fiji;

import ij.IJ;
import org.layered.store.DownloadProgress;
import org.layered.store.FetchPlan;
import org.layered.store.ModelStore;

import java.awt.GraphicsEnvironment;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A download in ImageJ 1.x (a model, or an engine for Set Up GPU...): bytes, rate and ETA in the status bar and the progress bar (a Log line per file
 * and about every 30 s where nobody sees a status bar), Esc cancels. Used by Download Model..., by Decompose
 * when it offers to download a missing model, and by Set Up GPU....
 */
public final class Ij1Download implements DownloadProgress {
    private static final long LINE_INTERVAL = TimeUnit.SECONDS.toNanos(30);

    private final boolean lines;
    private volatile boolean cancelled;
    private long lastLine = System.nanoTime();

    /** @param lines log lines (true where nobody sees a status bar) */
    public Ij1Download(boolean lines) {
        this.lines = lines;
        IJ.resetEscape();
    }

    /** Lines when there is no ImageJ window. */
    public static Ij1Download forCurrentSession() {
        return new Ij1Download(GraphicsEnvironment.isHeadless() || IJ.getInstance() == null);
    }

    /** Polled by the download threads: Esc pressed in ImageJ. */
    public BooleanSupplier cancel() {
        return () -> {
            if (!cancelled && IJ.escapePressed()) {
                cancelled = true;
            }
            return cancelled;
        };
    }

    /** Downloads {@code ref} with this progress; clears the progress bar afterwards. */
    public ModelStore.FetchResult fetch(ModelStore store, String ref) throws DecomposeException {
        try {
            return ModelDownload.fetch(store, ref, this, cancel());
        } finally {
            IJ.showProgress(1.0);
        }
    }

    @Override
    public void planned(FetchPlan plan) {
        IJ.log("Layered: fetching " + plan.summary());
        if (plan.isComplete()) {
            IJ.log("Layered: all files are already in the cache");
        }
    }

    @Override
    public void fileFinished(String path, long size, FileOutcome outcome) {
        if (lines) {
            IJ.log("[layered] " + (outcome == FileOutcome.DOWNLOADED ? "verified " : "reused ") + path);
        }
    }

    @Override
    public void message(String text) {
        IJ.log("Layered: " + text);
    }

    @Override
    public void progress(Snapshot s) {
        String line = "Layered: " + phase(s.phase()) + s.format();
        IJ.showStatus(line + (s.phase() == Phase.DONE ? "" : " (Esc cancels)"));
        IJ.showProgress(s.fraction());
        long now = System.nanoTime();
        if (lines && s.phase() == Phase.DOWNLOADING && now - lastLine >= LINE_INTERVAL) {
            lastLine = now;
            IJ.log("[layered] " + line);
        }
    }

    static String phase(Phase p) {
        return switch (p) {
            case LISTING -> "listing ";
            case DOWNLOADING -> "downloading ";
            case VERIFYING -> "verifying ";
            case DONE -> "downloaded ";
        };
    }
}
