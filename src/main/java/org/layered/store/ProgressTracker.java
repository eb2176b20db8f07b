package org.layered.store;

import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts bytes from several threads and feeds a {@link DownloadProgress} at most every {@code interval}: rate over
 * a moving window of the last ~10 s, ETA from the bytes left. All listener calls go through here, serialized.
 */
final class ProgressTracker {
    private static final long WINDOW_NANOS = 10_000_000_000L;

    private final DownloadProgress listener;
    private final long intervalNanos;
    private final AtomicLong transferred = new AtomicLong();
    private final ArrayDeque<long[]> samples = new ArrayDeque<>();
    private final long startNanos = System.nanoTime();
    private volatile DownloadProgress.Phase phase;
    private volatile long totalBytes;
    private volatile long baseBytes;
    private volatile int filesTotal;
    private volatile int filesDone;
    private volatile String current;
    private volatile long lastEmit = System.nanoTime() - (1L << 62);

    ProgressTracker(DownloadProgress listener, long intervalNanos) {
        this.listener = listener == null ? DownloadProgress.NONE : listener;
        this.intervalNanos = intervalNanos;
    }

    /** Starts a phase: total bytes, bytes already there, files. */
    synchronized void start(DownloadProgress.Phase p, long total, long already, int files, int done) {
        phase = p;
        totalBytes = total;
        baseBytes = already;
        filesTotal = files;
        filesDone = done;
        transferred.set(0);
        samples.clear();
        emit(true);
    }

    /** New bytes transferred (or hashed). */
    void add(long n) {
        transferred.addAndGet(n);
        maybeEmit();
    }

    /** Bytes that turned out to be there already (a resumed partial file, a reused blob). */
    synchronized void addPresent(long n) {
        baseBytes += n;
    }

    /** Bytes counted that must be taken back (a transfer that restarted from zero). */
    synchronized void retract(long n) {
        baseBytes -= n;
    }

    void current(String file) {
        current = file;
    }

    synchronized void fileDone() {
        filesDone++;
        emit(false);
    }

    private void maybeEmit() {
        if (System.nanoTime() - lastEmit >= intervalNanos) {
            synchronized (this) {
                emit(false);
            }
        }
    }

    synchronized void emit(boolean force) {
        long now = System.nanoTime();
        if (!force && now - lastEmit < intervalNanos) {
            return;
        }
        lastEmit = now;
        long moved = transferred.get();
        samples.addLast(new long[] {now, moved});
        while (samples.size() > 2 && now - samples.peekFirst()[0] > WINDOW_NANOS) {
            samples.removeFirst();
        }
        double rate = 0;
        long[] first = samples.peekFirst();
        if (first != null && now - first[0] > 0 && moved > first[1]) {
            rate = (moved - first[1]) * 1e9 / (now - first[0]);
        } else if (now - startNanos > 0 && moved > 0) {
            rate = moved * 1e9 / (now - startNanos);
        }
        long done = baseBytes + moved;
        long eta = -1;
        if (phase == DownloadProgress.Phase.DONE) {
            eta = 0;
        } else if (totalBytes >= 0 && rate > 0) {
            eta = (long) Math.ceil(Math.max(0, totalBytes - done) / rate);
        }
        listener.progress(new DownloadProgress.Snapshot(phase, done, totalBytes, rate, eta, filesDone, filesTotal,
                current));
    }

    synchronized void finish() {
        phase = DownloadProgress.Phase.DONE;
        current = null;
        emit(true);
    }

    long transferred() {
        return transferred.get();
    }

    synchronized void planned(FetchPlan plan) {
        listener.planned(plan);
    }

    synchronized void fileStarted(String path, long size, long from) {
        current = path;
        listener.fileStarted(path, size, from);
    }

    synchronized void fileFinished(String path, long size, DownloadProgress.FileOutcome outcome) {
        listener.fileFinished(path, size, outcome);
        fileDone();
    }

    synchronized void message(String text) {
        listener.message(text);
    }
}
