package org.layered.store;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Where a fetch puts a repository's files, and how it records its work there: the Hugging Face hub cache
 * ({@link HfCacheLayout}: content-addressed blobs linked into snapshots) or a plain model folder
 * ({@link ModelFolderLayout}: the files themselves, huggingface_hub's {@code --local-dir} layout). The
 * {@link Downloader} writes through this interface only, so both get the same resumable, locked, verified
 * transfers.
 */
interface StoreLayout {
    /** The folder for messages and free-space checks. */
    Path root();

    /** The folder that holds the model's files for {@code commit}. */
    Path modelDir(String repo, String commit);

    /** Whether {@code path} is in place at {@code commit} with the content named {@code etag} (null: any). */
    boolean hasFile(String repo, String commit, String path, String etag);

    /** Whether the content is on disk already, so that putting it in place needs no transfer (it may need a hash). */
    boolean hasContent(String repo, String path, String etag, long size);

    /** Where a download of {@code path} (content {@code etag}) is written until it is verified. */
    Path incomplete(String repo, String path, String etag);

    /** The file locked while {@code path} (content {@code etag}) is downloaded, across processes. */
    Path lockFile(String repo, String path, String etag);

    /** Where files that failed verification are moved (kept for inspection, never used). */
    Path quarantineDir(String repo);

    /**
     * Puts content already on disk in place without a transfer, when there is such content and it is verified.
     *
     * @param expected the content's hash and size, from the hub
     * @return true when the file is in place now
     */
    boolean reuse(String repo, String commit, String path, String etag, Expected expected, BooleanSupplier cancel)
            throws IOException;

    /** Moves a verified download ({@link #incomplete}) into place. */
    void install(String repo, String commit, String path, String etag, Path verified) throws IOException;

    /** Records the files a fetch of {@code commit} will put in place, until it completes. */
    void writePendingFetch(String repo, String commit, List<String> paths) throws IOException;

    /** Removes the record of a completed fetch. */
    void clearPendingFetch(String repo, String commit) throws IOException;

    /** Records that {@code revision} points to {@code commit}. */
    void writeRef(String repo, String revision, String commit) throws IOException;

    /** What the hub says a file's content is: its hash (null when unknown) and size (-1 when unknown). */
    record Expected(Hashes.Kind kind, String hash, long size) {}
}
