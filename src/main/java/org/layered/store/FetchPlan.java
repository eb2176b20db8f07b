package org.layered.store;

import java.nio.file.Path;
import java.util.List;

/**
 * What a fetch will do, known after the hub's listing and before any download: a front end can show it and ask
 * for confirmation ({@link ModelStore#plan}).
 *
 * @param repo            repository id
 * @param revision        revision asked for
 * @param commit          the commit it points to now
 * @param cacheRoot       the cache (HF hub layout) the files go to
 * @param files           the files of the model, each with what is already on disk
 * @param usableBytes     free space for the cache's file system, -1 when unknown
 * @param descriptor      the supported model's descriptor, or null for an unknown repository
 * @param warnings        remarks (descriptor components the listing lacks, ...)
 */
public record FetchPlan(String repo, String revision, String commit, Path cacheRoot, List<PlannedFile> files,
        long usableBytes, ModelDescriptor descriptor, List<String> warnings) {

    /**
     * One file.
     *
     * @param file         the hub's listing entry
     * @param present      already in the snapshot: nothing to do
     * @param blobCached   its content is already in the cache (another revision has it): only a link to make
     * @param partialBytes bytes of an interrupted earlier download that will be resumed
     */
    public record PlannedFile(HubClient.RemoteFile file, boolean present, boolean blobCached, long partialBytes) {
        /** Bytes still to transfer (0 when unknown). */
        public long remainingBytes() {
            return present || blobCached ? 0 : Math.max(0, file.size() - partialBytes);
        }
    }

    public FetchPlan {
        files = List.copyOf(files);
        warnings = List.copyOf(warnings);
    }

    /** Bytes of all the model's files. */
    public long totalBytes() {
        return files.stream().mapToLong(f -> Math.max(0, f.file().size())).sum();
    }

    /** Bytes already on disk (complete files and resumable partial ones). */
    public long presentBytes() {
        return totalBytes() - bytesToDownload();
    }

    /** Bytes still to transfer. */
    public long bytesToDownload() {
        return files.stream().mapToLong(PlannedFile::remainingBytes).sum();
    }

    /** Files still to transfer. */
    public List<PlannedFile> toDownload() {
        return files.stream().filter(f -> !f.present()).toList();
    }

    /** Whether nothing needs downloading. */
    public boolean isComplete() {
        return toDownload().isEmpty();
    }

    /** One line for the user. */
    public String summary() {
        return repo + "@" + revision + " (commit " + commit.substring(0, Math.min(12, commit.length())) + "): "
                + files.size() + " file(s), " + Sizes.si(totalBytes()) + "; " + toDownload().size()
                + " file(s), " + Sizes.si(bytesToDownload()) + " to download into " + cacheRoot
                + (usableBytes >= 0 ? " (" + Sizes.si(usableBytes) + " free)" : "");
    }
}
