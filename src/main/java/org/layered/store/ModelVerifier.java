package org.layered.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * Recomputes the content hash of every file of a model folder and compares it with the name the hub gave it:
 * in the HF cache each snapshot file links to {@code blobs/<etag>}, where the ETag is the sha256 of an LFS file
 * or the git blob sha1 of a small one; a {@code huggingface-cli download --local-dir} folder keeps the ETag in
 * {@code .cache/huggingface/download/<path>.metadata}. Files with neither are reported as unverifiable.
 * Reads only.
 */
public final class ModelVerifier {
    /** The result for one file. */
    public enum Status { OK, MISMATCH, UNVERIFIABLE, MISSING }

    /**
     * One file's check.
     *
     * @param path      path relative to the model folder, with {@code /}
     * @param algorithm "sha256", "git-sha1" or "none"
     * @param expected  the reference hash, or null
     * @param actual    the computed hash, or null when not computed
     */
    public record FileCheck(String path, Status status, String algorithm, String expected, String actual,
            long size) {}

    /** All checks of one folder. */
    public record Report(Path root, List<FileCheck> files) {
        public Report {
            files = List.copyOf(files);
        }

        public long count(Status s) {
            return files.stream().filter(f -> f.status() == s).count();
        }

        /** Whether no file mismatched or was missing. */
        public boolean passed() {
            return count(Status.MISMATCH) == 0 && count(Status.MISSING) == 0;
        }

        public String summary() {
            return count(Status.OK) + " file(s) verified, " + count(Status.MISMATCH) + " mismatched, "
                    + count(Status.MISSING) + " missing, " + count(Status.UNVERIFIABLE)
                    + " without a reference hash";
        }
    }

    private ModelVerifier() {}

    /** Verifies a model folder (or one file). */
    public static Report verify(Path root, DownloadProgress progress, BooleanSupplier cancel)
            throws ModelStoreException {
        BooleanSupplier c = cancel == null ? () -> false : cancel;
        List<Path> files = new ArrayList<>();
        Path base = Files.isDirectory(root) ? root : root.getParent();
        if (Files.isDirectory(root)) {
            Path meta = root.resolve(".cache");
            try (Stream<Path> s = Files.walk(root)) {
                s.filter(p -> !p.startsWith(meta) && !Files.isDirectory(p)).sorted().forEach(files::add);
            } catch (IOException e) {
                throw new ModelStoreException(ModelStoreException.Reason.LOCAL_IO, root + ": cannot list ("
                        + e.getMessage() + ")", e);
            }
        } else {
            files.add(root);
        }
        List<Path> hashed = new ArrayList<>();
        List<String> expected = new ArrayList<>();
        long total = 0;
        for (Path f : files) {
            String ref = reference(base, f).orElse(null);
            expected.add(ref);
            if (ref != null && Files.isRegularFile(f) && Hashes.kindOf(ref) != Hashes.Kind.NONE) {
                hashed.add(f);
                try {
                    total += Files.size(f);
                } catch (IOException e) {
                    // counted as 0
                }
            }
        }
        ProgressTracker t = new ProgressTracker(progress, 250_000_000L);
        t.start(DownloadProgress.Phase.VERIFYING, total, 0, hashed.size(), 0);
        List<FileCheck> out = new ArrayList<>();
        for (int i = 0; i < files.size(); i++) {
            Path f = files.get(i);
            String rel = base.relativize(f).toString().replace('\\', '/');
            String ref = expected.get(i);
            if (!Files.isRegularFile(f)) {
                out.add(new FileCheck(rel, Status.MISSING, "none", ref, null, 0));
                continue;
            }
            long size;
            try {
                size = Files.size(f);
            } catch (IOException e) {
                out.add(new FileCheck(rel, Status.MISSING, "none", ref, null, 0));
                continue;
            }
            Hashes.Kind kind = Hashes.kindOf(ref);
            if (kind == Hashes.Kind.NONE) {
                out.add(new FileCheck(rel, Status.UNVERIFIABLE, "none", ref, null, size));
                continue;
            }
            t.current(rel);
            try {
                MessageDigest md = Hashes.start(kind, size);
                Hashes.update(md, f, -1, t::add, c);
                String actual = Hashes.hex(md.digest());
                out.add(new FileCheck(rel, actual.equals(ref) ? Status.OK : Status.MISMATCH, kind.label, ref, actual,
                        size));
            } catch (ModelStoreException e) {
                throw e;
            } catch (IOException e) {
                out.add(new FileCheck(rel, Status.MISSING, kind.label, ref, null, size));
            }
            t.fileDone();
        }
        t.finish();
        return new Report(root, out);
    }

    /** The hub's name for a file's content: its blob link, or local-dir download metadata. */
    static Optional<String> reference(Path base, Path file) {
        Optional<String> blob = HfCacheLayout.blobName(file);
        if (blob.isPresent()) {
            return blob;
        }
        if (base == null) {
            return Optional.empty();
        }
        return ModelFolderLayout.readMetadata(base, base.relativize(file).toString().replace('\\', '/'))
                .map(ModelFolderLayout.Metadata::etag);
    }
}
