package org.layered.store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * A models folder such as {@code Fiji.app/models/} (where deepImageJ keeps its models): each model is a plain
 * folder named after its repository, {@code <root>/Qwen-Image-Layered/model_index.json ...}, in the layout that
 * {@code huggingface-cli download --local-dir} writes, so that either tool can resume or update the other's copy:
 *
 * <pre>
 * ROOT/Qwen-Image-Layered/transformer/config.json ...          the files themselves
 *     .cache/huggingface/download/&lt;path&gt;.metadata              commit, ETag and time of each downloaded file
 *     .cache/huggingface/download/&lt;path&gt;.lock
 *     .cache/huggingface/download/&lt;path&gt;.&lt;etag&gt;.incomplete    while downloading
 *     .cache/layered/source.txt                               repository, revision and commit of the last fetch
 *     .cache/layered/pending-&lt;commit&gt;.txt                      the files of a fetch not yet complete
 * </pre>
 *
 * A file counts as in place when its metadata names the expected ETag and the file is not newer than the metadata
 * (huggingface_hub's rule); a file copied in by hand, of the right size, is hashed once and then recorded.
 */
final class ModelFolderLayout implements StoreLayout {
    private final Path root;

    /** @param root the models folder (holding one folder per model) */
    ModelFolderLayout(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    /** The folder a repository's model lives in: its name without the owner ({@code Qwen-Image-Layered}). */
    static String folderName(String repo) {
        return repo.substring(repo.indexOf('/') + 1);
    }

    @Override
    public Path root() {
        return root;
    }

    /** One local copy per repository: the same folder for every commit. */
    @Override
    public Path modelDir(String repo, String commit) {
        return root.resolve(folderName(repo));
    }

    private static Path file(Path dir, String path) {
        Path p = dir;
        for (String seg : HfCacheLayout.checkRelativePath(path).split("/")) {
            p = p.resolve(seg);
        }
        return p;
    }

    private static Path downloadDir(Path dir) {
        return dir.resolve(".cache").resolve("huggingface").resolve("download");
    }

    private static Path ownDir(Path dir) {
        return dir.resolve(".cache").resolve("layered");
    }

    /** {@code <dir>/.cache/huggingface/download/<path>.metadata}. */
    static Path metadataFile(Path dir, String path) {
        Path f = file(downloadDir(dir), path);
        return f.resolveSibling(f.getFileName() + ".metadata");
    }

    /** A file's download metadata. */
    record Metadata(String commit, String etag, double seconds) {}

    /** The metadata of {@code path} in a model folder; empty when absent or unreadable. */
    static Optional<Metadata> readMetadata(Path dir, String path) {
        try {
            Path meta = metadataFile(dir, path);
            if (Files.isRegularFile(meta)) {
                List<String> lines = Files.readAllLines(meta, StandardCharsets.UTF_8);
                if (lines.size() >= 2 && !lines.get(1).isBlank()) {
                    double seconds = 0; // unknown: the file counts as changed since
                    try {
                        seconds = lines.size() >= 3 ? Double.parseDouble(lines.get(2).strip()) : 0;
                    } catch (NumberFormatException e) {
                        // keep 0
                    }
                    return Optional.of(new Metadata(lines.get(0).strip(), lines.get(1).strip(), seconds));
                }
            }
        } catch (IOException | RuntimeException e) {
            // unreadable metadata is none: the file is checked again
        }
        return Optional.empty();
    }

    private static void writeMetadata(Path dir, String path, String commit, String etag) throws IOException {
        Path meta = metadataFile(dir, path);
        Files.createDirectories(meta.getParent());
        Files.writeString(meta, commit + "\n" + etag + "\n" + String.format(Locale.ROOT, "%.3f",
                System.currentTimeMillis() / 1000.0) + "\n", StandardCharsets.UTF_8);
    }

    @Override
    public boolean hasFile(String repo, String commit, String path, String etag) {
        Path dir = modelDir(repo, commit);
        Path f = file(dir, path);
        if (!Files.isRegularFile(f)) {
            return false;
        }
        if (etag == null) {
            return true;
        }
        Optional<Metadata> m = readMetadata(dir, path);
        try {
            return m.isPresent() && m.get().etag().equals(etag)
                    && Files.getLastModifiedTime(f).toMillis() / 1000.0 - 1 <= m.get().seconds();
        } catch (IOException e) {
            return false;
        }
    }

    /** A file of the right size without matching metadata: hashed when fetched, downloaded only if it differs. */
    @Override
    public boolean hasContent(String repo, String path, String etag, long size) {
        Path f = file(modelDir(repo, null), path);
        try {
            return Files.isRegularFile(f) && (size < 0 || Files.size(f) == size);
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public Path incomplete(String repo, String path, String etag) {
        Path f = file(downloadDir(modelDir(repo, null)), path);
        return f.resolveSibling(f.getFileName() + "." + HfCacheLayout.checkEtag(etag) + ".incomplete");
    }

    @Override
    public Path lockFile(String repo, String path, String etag) {
        Path f = file(downloadDir(modelDir(repo, null)), path);
        return f.resolveSibling(f.getFileName() + ".lock");
    }

    @Override
    public Path quarantineDir(String repo) {
        return ownDir(modelDir(repo, null)).resolve("quarantine");
    }

    @Override
    public boolean reuse(String repo, String commit, String path, String etag, Expected expected,
            BooleanSupplier cancel) throws IOException {
        Path dir = modelDir(repo, commit);
        if (hasFile(repo, commit, path, etag)) {
            writeMetadata(dir, path, commit, etag);
            return true;
        }
        if (expected.hash() == null || !hasContent(repo, path, etag, expected.size())) {
            return false;
        }
        MessageDigest md = Hashes.start(expected.kind(), Files.size(file(dir, path)));
        Hashes.update(md, file(dir, path), -1, n -> { }, cancel);
        if (!Hashes.hex(md.digest()).equals(expected.hash())) {
            return false; // another version of the file: downloaded anew
        }
        writeMetadata(dir, path, commit, etag);
        return true;
    }

    @Override
    public void install(String repo, String commit, String path, String etag, Path verified) throws IOException {
        Path dir = modelDir(repo, commit);
        Path f = file(dir, path);
        Files.createDirectories(f.getParent());
        Files.move(verified, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        writeMetadata(dir, path, commit, etag);
    }

    static Path pendingFetchFile(Path dir, String commit) {
        return ownDir(dir).resolve("pending-" + HfCacheLayout.checkEtag(commit) + ".txt");
    }

    @Override
    public void writePendingFetch(String repo, String commit, List<String> paths) throws IOException {
        Path f = pendingFetchFile(modelDir(repo, commit), commit);
        Files.createDirectories(f.getParent());
        Files.write(f, paths, StandardCharsets.UTF_8);
    }

    @Override
    public void clearPendingFetch(String repo, String commit) throws IOException {
        Files.deleteIfExists(pendingFetchFile(modelDir(repo, commit), commit));
    }

    /** The files an unfinished fetch was to put in a model folder (any commit); empty when none is pending. */
    static Optional<List<String>> readPendingFetch(Path dir) {
        Path own = ownDir(dir);
        if (!Files.isDirectory(own)) {
            return Optional.empty();
        }
        try (var s = Files.list(own)) {
            List<Path> pending = s.filter(p -> p.getFileName().toString().startsWith("pending-")).toList();
            if (pending.isEmpty()) {
                return Optional.empty();
            }
            List<String> files = new java.util.ArrayList<>();
            for (Path p : pending) {
                Files.readAllLines(p, StandardCharsets.UTF_8).stream().map(String::strip).filter(l -> !l.isEmpty())
                        .forEach(files::add);
            }
            return Optional.of(files);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Records the repository, revision and commit the folder now holds. */
    @Override
    public void writeRef(String repo, String revision, String commit) throws IOException {
        Path f = ownDir(modelDir(repo, commit)).resolve("source.txt");
        Files.createDirectories(f.getParent());
        Files.writeString(f, repo + "\n" + revision + "\n" + commit + "\n", StandardCharsets.UTF_8);
    }

    /** What a model folder holds, from its last fetch: repository, revision, commit. */
    record Source(String repo, String revision, String commit) {}

    /**
     * The source of a model folder: what this store's fetch recorded, else the commit of huggingface_hub's metadata
     * (repository unknown); empty for a folder copied in by hand.
     */
    static Optional<Source> readSource(Path dir) {
        try {
            Path f = ownDir(dir).resolve("source.txt");
            if (Files.isRegularFile(f)) {
                List<String> l = Files.readAllLines(f, StandardCharsets.UTF_8);
                if (l.size() >= 3) {
                    return Optional.of(new Source(l.get(0).strip(), l.get(1).strip(), l.get(2).strip()));
                }
            }
        } catch (IOException e) {
            // unreadable: fall back to the metadata
        }
        return readMetadata(dir, "model_index.json").map(m -> new Source(null, null, m.commit()));
    }
}
