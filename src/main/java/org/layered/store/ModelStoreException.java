package org.layered.store;

import java.io.IOException;

/**
 * A model-store failure with a {@link Reason} a front end can act on (ask for a token, offer a download, tell the
 * user to free disk space). The message is one line, written for the user, and names what failed.
 */
public class ModelStoreException extends IOException {
    /** What went wrong, coarse enough for a front end to choose its reaction. */
    public enum Reason {
        /** No local copy of the model was found (see {@link ModelNotFoundException}). */
        NOT_FOUND,
        /** A local copy exists but lacks files (a partial download). */
        INCOMPLETE,
        /** The hub wants a token and none (or an invalid one) was sent: HTTP 401. */
        UNAUTHORIZED,
        /** The token has no access, typically because the model's licence or conditions were not accepted: 403. */
        ACCESS_DENIED,
        /** The hub does not know the repository (404), or it is private. */
        REPO_NOT_FOUND,
        /** The repository has no such branch, tag or commit. */
        REVISION_NOT_FOUND,
        /** The repository has no such file. */
        FILE_NOT_FOUND,
        /** Not enough free disk space, found before starting or while writing. */
        DISK_FULL,
        /** A downloaded file does not match its published hash or size; it was quarantined, not used. */
        CHECKSUM_MISMATCH,
        /** The network or the server failed (after retries); partial files are kept for resuming. */
        NETWORK,
        /** The hub answered something unexpected. */
        PROTOCOL,
        /** The user cancelled; partial files are kept for resuming. */
        CANCELLED,
        /** Downloads are switched off ({@code HF_HUB_OFFLINE}) or the request is not a downloadable reference. */
        NOT_DOWNLOADABLE,
        /** A local file could not be read or written. */
        LOCAL_IO,
        /** A model descriptor is malformed. */
        INVALID_DESCRIPTOR
    }

    private final Reason reason;
    private final boolean retryable;

    public ModelStoreException(Reason reason, String message) {
        this(reason, message, null, false);
    }

    public ModelStoreException(Reason reason, String message, Throwable cause) {
        this(reason, message, cause, false);
    }

    ModelStoreException(Reason reason, String message, Throwable cause, boolean retryable) {
        super(message, cause);
        this.reason = reason;
        this.retryable = retryable;
    }

    public Reason reason() {
        return reason;
    }

    /** Whether trying again later may succeed (network failures, server errors, rate limits). */
    public boolean isRetryable() {
        return retryable;
    }

    /** Whether an I/O failure means the disk is full (the JDK reports it only through the message). */
    static boolean isDiskFull(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage();
            if (m != null) {
                String l = m.toLowerCase(java.util.Locale.ROOT);
                if (l.contains("no space left") || l.contains("not enough space") || l.contains("disk quota")
                        || l.contains("disk full")) {
                    return true;
                }
            }
        }
        return false;
    }
}
