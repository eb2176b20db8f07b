package org.layered.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.function.BooleanSupplier;
import java.util.function.LongConsumer;

/** The two content hashes the hub names files by: sha256 (LFS files) and the git blob sha1 (small files). */
final class Hashes {
    /** Which hash a blob name (ETag) is. */
    enum Kind {
        SHA256("sha256"), GIT_SHA1("git-sha1"), NONE("none");

        final String label;

        Kind(String label) {
            this.label = label;
        }
    }

    private Hashes() {}

    static Kind kindOf(String etag) {
        if (HfCacheLayout.isSha256(etag)) {
            return Kind.SHA256;
        }
        if (HfCacheLayout.isGitSha1(etag)) {
            return Kind.GIT_SHA1;
        }
        return Kind.NONE;
    }

    /** A digest ready for the content; a git blob sha1 needs the size up front ({@code "blob <size>\0"}). */
    static MessageDigest start(Kind kind, long size) {
        try {
            return switch (kind) {
                case SHA256 -> MessageDigest.getInstance("SHA-256");
                case GIT_SHA1 -> {
                    if (size < 0) {
                        throw new IllegalArgumentException("a git blob hash needs the size");
                    }
                    MessageDigest md = MessageDigest.getInstance("SHA-1");
                    md.update(("blob " + size + "\0").getBytes(StandardCharsets.US_ASCII));
                    yield md;
                }
                case NONE -> null;
            };
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    /**
     * Hashes the first {@code length} bytes of a file (all when -1) into {@code md}, reporting bytes read.
     *
     * @throws ModelStoreException {@code CANCELLED} when {@code cancel} says so
     */
    static void update(MessageDigest md, Path file, long length, LongConsumer onBytes, BooleanSupplier cancel)
            throws IOException {
        byte[] buf = new byte[1 << 20];
        long left = length < 0 ? Long.MAX_VALUE : length;
        try (InputStream in = Files.newInputStream(file)) {
            while (left > 0) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                if (n < 0) {
                    break;
                }
                md.update(buf, 0, n);
                left -= n;
                onBytes.accept(n);
                if (cancel.getAsBoolean() || Thread.currentThread().isInterrupted()) {
                    throw new ModelStoreException(ModelStoreException.Reason.CANCELLED, "cancelled while hashing "
                            + file.getFileName());
                }
            }
        }
    }
}
