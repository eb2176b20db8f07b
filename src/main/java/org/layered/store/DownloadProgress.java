package org.layered.store;

import java.util.Locale;

/**
 * Listener for a fetch (and for a verification pass). Calls come from download threads but never concurrently
 * (they are serialized), and {@link #progress} is throttled (a few per second, plus a final one), so a front end
 * may update a progress bar directly; keep the work short. Every method has a no-op default except
 * {@link #progress}, so a lambda is enough.
 */
@FunctionalInterface
public interface DownloadProgress {
    /** What is going on. */
    enum Phase { LISTING, DOWNLOADING, VERIFYING, DONE }

    /**
     * A progress snapshot.
     *
     * @param phase          current phase
     * @param doneBytes      bytes present so far (including those already on disk before this fetch)
     * @param totalBytes     bytes of the whole model (or of the files being verified); -1 when unknown
     * @param bytesPerSecond recent transfer rate (moving window), 0 when unknown
     * @param etaSeconds     estimated seconds left, -1 when unknown
     * @param filesDone      files finished
     * @param filesTotal     files in total
     * @param currentFile    a file being worked on, or null
     */
    record Snapshot(Phase phase, long doneBytes, long totalBytes, double bytesPerSecond, long etaSeconds,
            int filesDone, int filesTotal, String currentFile) {
        /** Fraction done in [0, 1]; 0 when the total is unknown. */
        public double fraction() {
            return totalBytes > 0 ? Math.min(1.0, (double) doneBytes / totalBytes) : 0;
        }

        /** E.g. {@code 12.3 GB / 57.7 GB (21%), 85.2 MB/s, ETA 8m52s, 3/25 files}. */
        public String format() {
            StringBuilder b = new StringBuilder();
            b.append(Sizes.si(doneBytes));
            if (totalBytes >= 0) {
                b.append(" / ").append(Sizes.si(totalBytes)).append(String.format(Locale.ROOT, " (%d%%)",
                        (int) Math.floor(100 * fraction())));
            }
            if (phase == Phase.DOWNLOADING || phase == Phase.VERIFYING) {
                b.append(", ").append(Sizes.rate(bytesPerSecond)).append(", ETA ").append(Sizes.duration(etaSeconds));
            }
            b.append(", ").append(filesDone).append('/').append(filesTotal).append(" files");
            return b.toString();
        }
    }

    /** How a file ended up in the cache. */
    enum FileOutcome {
        /** Downloaded (or resumed) and verified. */
        DOWNLOADED,
        /** Already in the snapshot, or its blob was already in the cache. */
        REUSED
    }

    /** A listener that ignores everything. */
    DownloadProgress NONE = s -> { };

    /** Throttled progress; see the interface comment. */
    void progress(Snapshot snapshot);

    /** Once, after the listing, before any download: what will be fetched. */
    default void planned(FetchPlan plan) {
    }

    /** A file starts downloading ({@code resumeFrom} &gt; 0 when a partial download is resumed). */
    default void fileStarted(String path, long size, long resumeFrom) {
    }

    /** A file is finished, verified and linked into the snapshot. */
    default void fileFinished(String path, long size, FileOutcome outcome) {
    }

    /** A remark worth showing (a retry, a resumed transfer, a descriptor mismatch). */
    default void message(String text) {
    }
}
