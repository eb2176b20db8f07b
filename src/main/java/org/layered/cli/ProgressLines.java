package org.layered.cli;

import org.layered.store.DownloadProgress;
import org.layered.store.Sizes;

import java.io.PrintStream;

/** A download's progress as lines: a line per finished file, remarks, and a progress line at most every interval. */
class ProgressLines implements DownloadProgress {
    protected final PrintStream out;
    private final long intervalNanos;
    private long last = System.nanoTime() - (1L << 62);

    ProgressLines(PrintStream out, long intervalMillis) {
        this.out = out;
        this.intervalNanos = intervalMillis * 1_000_000L;
    }

    @Override
    public void fileFinished(String path, long size, FileOutcome outcome) {
        out.println("  " + (outcome == FileOutcome.DOWNLOADED ? "verified " : "reused   ") + path + " ("
                + Sizes.si(Math.max(0, size)) + ")");
    }

    @Override
    public void message(String text) {
        out.println("  " + text);
    }

    @Override
    public void progress(Snapshot s) {
        if (s.phase() != Phase.DOWNLOADING) {
            return;
        }
        long now = System.nanoTime();
        if (now - last >= intervalNanos) {
            last = now;
            out.println("  " + s.format());
        }
    }
}
