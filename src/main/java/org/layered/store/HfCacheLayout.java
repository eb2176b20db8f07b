package org.layered.store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The Hugging Face hub cache layout, as {@code huggingface_hub} writes it, so that checkpoints fetched by Python
 * tools are reused as they are and ours are reused by them:
 *
 * <pre>
 * ROOT/models--Qwen--Qwen-Image-Layered/
 *     refs/main                       the commit hash "main" pointed to when last fetched
 *     blobs/&lt;etag&gt;                    file contents, named by the hub's ETag (sha256 for LFS files,
 *                                     the git blob sha1 for small files); &lt;etag&gt;.incomplete while downloading
 *     snapshots/&lt;commit&gt;/&lt;path&gt;       relative symbolic links to ../../blobs/&lt;etag&gt; (copies where links fail)
 * ROOT/.locks/models--Qwen--Qwen-Image-Layered/&lt;etag&gt;.lock
 * </pre>
 *
 * Reading methods never write. Paths coming from the network (file names, ETags) are validated before use.
 */
public final class HfCacheLayout implements StoreLayout {
    /** Default hub endpoint; {@code HF_ENDPOINT} overrides it as in huggingface_hub. */
    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";
    private static final Pattern ETAG = Pattern.compile("[A-Za-z0-9_-]{8,128}");
    private static final Pattern HEX40 = Pattern.compile("[0-9a-f]{40}");
    private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");

    private final Path root;

    public HfCacheLayout(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    // ---------------------------------------------------------------- environment

    /** {@code HF_HOME}, else {@code $XDG_CACHE_HOME/huggingface}, else {@code ~/.cache/huggingface}. */
    public static Path hfHome(Map<String, String> env, Path userHome) {
        String home = nonBlank(env.get("HF_HOME"));
        if (home != null) {
            return expand(home, userHome);
        }
        String xdg = nonBlank(env.get("XDG_CACHE_HOME"));
        if (xdg != null) {
            return expand(xdg, userHome).resolve("huggingface");
        }
        return userHome.resolve(".cache").resolve("huggingface");
    }

    /**
     * The hub cache: {@code HF_HUB_CACHE}, else the legacy {@code HUGGINGFACE_HUB_CACHE}, else
     * {@code HF_HOME/hub} (default {@code ~/.cache/huggingface/hub}).
     */
    public static Path defaultHubCache(Map<String, String> env, Path userHome) {
        String c = nonBlank(env.get("HF_HUB_CACHE"));
        if (c == null) {
            c = nonBlank(env.get("HUGGINGFACE_HUB_CACHE"));
        }
        if (c != null) {
            return expand(c, userHome);
        }
        return hfHome(env, userHome).resolve("hub");
    }

    /**
     * The user's hub token: {@code HF_TOKEN}, else the legacy {@code HUGGING_FACE_HUB_TOKEN}, else the token file
     * ({@code HF_TOKEN_PATH}, default {@code HF_HOME/token}) when it exists. Never logged.
     */
    public static Optional<String> token(Map<String, String> env, Path userHome) {
        String t = nonBlank(env.get("HF_TOKEN"));
        if (t == null) {
            t = nonBlank(env.get("HUGGING_FACE_HUB_TOKEN"));
        }
        if (t != null) {
            return Optional.of(t.strip());
        }
        String path = nonBlank(env.get("HF_TOKEN_PATH"));
        Path file = path != null ? expand(path, userHome) : hfHome(env, userHome).resolve("token");
        try {
            if (Files.isRegularFile(file)) {
                String s = Files.readString(file, StandardCharsets.UTF_8).strip();
                return s.isEmpty() ? Optional.empty() : Optional.of(s);
            }
        } catch (IOException e) {
            // an unreadable token file is the same as none
        }
        return Optional.empty();
    }

    /** The hub endpoint: {@code HF_ENDPOINT} or https://huggingface.co. */
    public static String endpoint(Map<String, String> env) {
        String e = nonBlank(env.get("HF_ENDPOINT"));
        return e != null ? e.replaceAll("/+$", "") : DEFAULT_ENDPOINT;
    }

    private static String nonBlank(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }

    private static Path expand(String p, Path userHome) {
        if (p.equals("~")) {
            return userHome;
        }
        if (p.startsWith("~/") || p.startsWith("~\\")) {
            return userHome.resolve(p.substring(2));
        }
        return Path.of(p);
    }

    // ---------------------------------------------------------------- names

    /** {@code Qwen/Qwen-Image-Layered} → {@code models--Qwen--Qwen-Image-Layered}. */
    public static String repoFolderName(String repo) {
        return "models--" + repo.replace("/", "--");
    }

    /** Checks a repository-relative path (from a listing or a descriptor) and rejects traversal. */
    static String checkRelativePath(String path) {
        if (path == null || path.isEmpty() || path.startsWith("/") || path.contains("\\") || path.contains("\0")
                || path.matches("^[A-Za-z]:.*")) {
            throw new IllegalArgumentException("unsafe repository path '" + path + "'");
        }
        for (String seg : path.split("/", -1)) {
            if (seg.isEmpty() || seg.equals(".") || seg.equals("..")) {
                throw new IllegalArgumentException("unsafe repository path '" + path + "'");
            }
        }
        return path;
    }

    /** Checks an ETag used as a blob file name. */
    static String checkEtag(String etag) {
        if (etag == null || !ETAG.matcher(etag).matches()) {
            throw new IllegalArgumentException("unusable ETag '" + etag + "'");
        }
        return etag;
    }

    /** Whether a blob name is a sha256 (LFS files). */
    public static boolean isSha256(String etag) {
        return etag != null && HEX64.matcher(etag).matches();
    }

    /** Whether a blob name is a git blob sha1 (small files). */
    public static boolean isGitSha1(String etag) {
        return etag != null && HEX40.matcher(etag).matches();
    }

    /** Removes quotes and a weak-validator prefix: {@code W/"abc"} → {@code abc}. */
    static String normalizeEtag(String raw) {
        if (raw == null) {
            return null;
        }
        String e = raw.strip();
        if (e.startsWith("W/")) {
            e = e.substring(2);
        }
        if (e.length() >= 2 && e.startsWith("\"") && e.endsWith("\"")) {
            e = e.substring(1, e.length() - 1);
        }
        return e.isEmpty() ? null : e;
    }

    // ---------------------------------------------------------------- paths

    @Override
    public Path root() {
        return root;
    }

    public Path repoDir(String repo) {
        return root.resolve(repoFolderName(repo));
    }

    public Path blobsDir(String repo) {
        return repoDir(repo).resolve("blobs");
    }

    public Path snapshotsDir(String repo) {
        return repoDir(repo).resolve("snapshots");
    }

    public Path refsDir(String repo) {
        return repoDir(repo).resolve("refs");
    }

    public Path blob(String repo, String etag) {
        return blobsDir(repo).resolve(checkEtag(etag));
    }

    public Path incomplete(String repo, String etag) {
        return blobsDir(repo).resolve(checkEtag(etag) + ".incomplete");
    }

    /** A blob's partial download; the cache names it by content, whatever the path. */
    @Override
    public Path incomplete(String repo, String path, String etag) {
        return incomplete(repo, etag);
    }

    public Path lockFile(String repo, String etag) {
        return root.resolve(".locks").resolve(repoFolderName(repo)).resolve(checkEtag(etag) + ".lock");
    }

    @Override
    public Path lockFile(String repo, String path, String etag) {
        return lockFile(repo, etag);
    }

    @Override
    public Path modelDir(String repo, String commit) {
        return snapshotDir(repo, commit);
    }

    /** Another revision's blob with this content. */
    @Override
    public boolean hasContent(String repo, String path, String etag, long size) {
        try {
            return Files.isRegularFile(blob(repo, etag));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** Links the blob into the snapshot when the cache has it (blobs are verified before they are named). */
    @Override
    public boolean reuse(String repo, String commit, String path, String etag, Expected expected,
            java.util.function.BooleanSupplier cancel) throws IOException {
        if (!Files.isRegularFile(blob(repo, etag))) {
            return false;
        }
        link(repo, commit, path, etag);
        return true;
    }

    /** Names the verified content by its ETag and links it into the snapshot. */
    @Override
    public void install(String repo, String commit, String path, String etag, Path verified) throws IOException {
        Files.move(verified, blob(repo, etag), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        link(repo, commit, path, etag);
    }

    /** Where files that failed verification are moved (kept for inspection, never used). */
    @Override
    public Path quarantineDir(String repo) {
        return repoDir(repo).resolve(".quarantine");
    }

    public Path snapshotDir(String repo, String commit) {
        return snapshotsDir(repo).resolve(checkEtag(commit));
    }

    public Path snapshotFile(String repo, String commit, String repoPath) {
        Path p = snapshotDir(repo, commit);
        for (String seg : checkRelativePath(repoPath).split("/")) {
            p = p.resolve(seg);
        }
        return p;
    }

    /**
     * The record of a fetch in progress or interrupted: the files the snapshot of {@code commit} should get.
     * Kept beside {@code snapshots/} (huggingface_hub ignores it) and removed when the fetch completes, so that
     * a partial snapshot is never mistaken for a complete one.
     */
    public Path pendingFetchFile(String repo, String commit) {
        return repoDir(repo).resolve(".layered").resolve("pending-" + checkEtag(commit) + ".txt");
    }

    // ---------------------------------------------------------------- reading (never writes)

    /** The files an unfinished fetch of {@code commit} was to put in its snapshot; empty when none is pending. */
    public Optional<List<String>> readPendingFetch(String repo, String commit) {
        Path f = pendingFetchFile(repo, commit);
        try {
            if (Files.isRegularFile(f)) {
                return Optional.of(Files.readAllLines(f, StandardCharsets.UTF_8).stream().map(String::strip)
                        .filter(l -> !l.isEmpty()).toList());
            }
        } catch (IOException e) {
            // unreadable: treated as absent
        }
        return Optional.empty();
    }

    /** The commit a ref (branch or tag) points to, from {@code refs/<revision>}. */
    public Optional<String> readRef(String repo, String revision) {
        Path f = refsDir(repo);
        try {
            for (String seg : checkRelativePath(revision).split("/")) {
                f = f.resolve(seg);
            }
            if (Files.isRegularFile(f)) {
                String c = Files.readString(f, StandardCharsets.UTF_8).strip();
                return ModelRef.COMMIT.matcher(c).matches() ? Optional.of(c) : Optional.empty();
            }
        } catch (IOException | IllegalArgumentException e) {
            // unreadable or odd ref: treated as absent
        }
        return Optional.empty();
    }

    /** A snapshot found in the cache, and how it was chosen. */
    public record Snapshot(Path dir, String commit, String note) {}

    /**
     * The snapshot for a revision: a full commit hash names its folder directly; a branch or tag goes through
     * {@code refs/}. When {@code refs/} lacks the revision but the repository has exactly one snapshot, that one is
     * used when {@code allowSingle} (a cache copied without its refs).
     */
    public Optional<Snapshot> findSnapshot(String repo, String revision, boolean allowSingle) {
        Path snaps = snapshotsDir(repo);
        if (!Files.isDirectory(snaps)) {
            return Optional.empty();
        }
        if (ModelRef.COMMIT.matcher(revision).matches()) {
            Path d = snaps.resolve(revision);
            return Files.isDirectory(d) ? Optional.of(new Snapshot(d, revision, "commit " + revision))
                    : Optional.empty();
        }
        Optional<String> ref = readRef(repo, revision);
        if (ref.isPresent()) {
            Path d = snaps.resolve(ref.get());
            return Files.isDirectory(d) ? Optional.of(new Snapshot(d, ref.get(), "refs/" + revision + " → "
                    + ref.get())) : Optional.empty();
        }
        if (allowSingle) {
            try (Stream<Path> s = Files.list(snaps)) {
                List<Path> dirs = s.filter(Files::isDirectory).toList();
                if (dirs.size() == 1) {
                    String commit = dirs.get(0).getFileName().toString();
                    return Optional.of(new Snapshot(dirs.get(0), commit, "no refs/" + revision
                            + "; the only snapshot, " + commit));
                }
            } catch (IOException e) {
                return Optional.empty();
            }
        }
        return Optional.empty();
    }

    /**
     * The blob a snapshot file links to, named by its ETag, when {@code file} is a symbolic link into a
     * {@code blobs} folder (the HF cache layout); empty for plain files.
     */
    public static Optional<String> blobName(Path file) {
        try {
            if (!Files.isSymbolicLink(file)) {
                return Optional.empty();
            }
            Path target = Files.readSymbolicLink(file);
            Path resolved = file.getParent().resolve(target).normalize();
            Path parent = resolved.getParent();
            if (parent != null && parent.getFileName() != null
                    && parent.getFileName().toString().equals("blobs")) {
                return Optional.of(resolved.getFileName().toString());
            }
        } catch (IOException | UnsupportedOperationException e) {
            // not a readable link
        }
        return Optional.empty();
    }

    /** Whether a snapshot holds {@code repoPath} with readable content (and, when given, the expected blob). */
    @Override
    public boolean hasFile(String repo, String commit, String repoPath, String expectedEtag) {
        Path f = snapshotFile(repo, commit, repoPath);
        if (!Files.isRegularFile(f)) { // follows the link: a dangling link is absent
            return false;
        }
        if (expectedEtag == null) {
            return true;
        }
        Optional<String> blob = blobName(f);
        return blob.isEmpty() || blob.get().equals(expectedEtag);
    }

    // ---------------------------------------------------------------- writing (fetch only)

    /** Records the files a fetch of {@code commit} will put in its snapshot (see {@link #pendingFetchFile}). */
    @Override
    public void writePendingFetch(String repo, String commit, List<String> paths) throws IOException {
        Path f = pendingFetchFile(repo, commit);
        Files.createDirectories(f.getParent());
        Files.write(f, paths, StandardCharsets.UTF_8);
    }

    /** Removes the record of a fetch that completed. */
    @Override
    public void clearPendingFetch(String repo, String commit) throws IOException {
        Files.deleteIfExists(pendingFetchFile(repo, commit));
    }

    /** Records that {@code revision} points to {@code commit}. */
    @Override
    public void writeRef(String repo, String revision, String commit) throws IOException {
        if (revision.equals(commit)) {
            return;
        }
        Path f = refsDir(repo);
        for (String seg : checkRelativePath(revision).split("/")) {
            f = f.resolve(seg);
        }
        Files.createDirectories(f.getParent());
        // a temporary name unique per writer: two fetches in one process (same pid) must not share it
        Path tmp = Files.createTempFile(f.getParent(), "." + f.getFileName() + ".", ".tmp");
        try {
            Files.writeString(tmp, commit, StandardCharsets.UTF_8);
            Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Puts blob {@code etag} at {@code snapshots/<commit>/<repoPath>}: a relative symbolic link, else (file
     * systems or Windows accounts without links) a hard link, else a copy.
     */
    public Path link(String repo, String commit, String repoPath, String etag) throws IOException {
        Path blob = blob(repo, etag);
        Path f = snapshotFile(repo, commit, repoPath);
        Files.createDirectories(f.getParent());
        Path tmp = f.resolveSibling("." + f.getFileName() + ".tmp-" + ProcessHandle.current().pid() + "-"
                + Thread.currentThread().getId());
        Files.deleteIfExists(tmp);
        try {
            Files.createSymbolicLink(tmp, f.getParent().relativize(blob));
        } catch (UnsupportedOperationException | FileSystemException e) {
            try {
                Files.createLink(tmp, blob);
            } catch (UnsupportedOperationException | IOException e2) {
                Files.copy(blob, tmp, StandardCopyOption.REPLACE_EXISTING);
            }
        }
        try {
            Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        return f;
    }
}
