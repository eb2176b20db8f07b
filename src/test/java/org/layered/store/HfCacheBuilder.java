package org.layered.store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * Writes an HF hub cache folder the way huggingface_hub does (independently of the code under test):
 * {@code models--o--n/blobs/<sha256|git-sha1>}, {@code snapshots/<commit>/<path>} relative symlinks,
 * {@code refs/<branch>}.
 */
final class HfCacheBuilder {
    private HfCacheBuilder() {}

    static Path write(Path cacheRoot, String repo, String commit, String branch, Map<String, byte[]> files,
            Set<String> lfs) throws IOException {
        Path repoDir = cacheRoot.resolve("models--" + repo.replace("/", "--"));
        Path blobs = Files.createDirectories(repoDir.resolve("blobs"));
        Path snap = Files.createDirectories(repoDir.resolve("snapshots").resolve(commit));
        for (Map.Entry<String, byte[]> e : files.entrySet()) {
            String etag = lfs.contains(e.getKey()) ? FakeHub.sha256(e.getValue()) : FakeHub.gitSha1(e.getValue());
            Path blob = blobs.resolve(etag);
            if (!Files.exists(blob)) {
                Files.write(blob, e.getValue());
            }
            Path link = snap.resolve(e.getKey());
            Files.createDirectories(link.getParent());
            Files.createSymbolicLink(link, link.getParent().relativize(blob));
        }
        if (branch != null) {
            Files.createDirectories(repoDir.resolve("refs"));
            Files.writeString(repoDir.resolve("refs").resolve(branch), commit, StandardCharsets.UTF_8);
        }
        return snap;
    }
}
