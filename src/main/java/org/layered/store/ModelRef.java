package org.layered.store;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A model reference as users type it: a folder ({@code /data/Qwen-Image-Layered}, {@code ./model}), or a hub
 * repository id with an optional revision ({@code Qwen/Qwen-Image-Layered}, {@code Qwen/Qwen-Image-Layered@main},
 * {@code Qwen/Qwen-Image-Layered@<commit>}), or a supported model's short id ({@code qwen-image-layered}).
 *
 * <p>Rule: anything that exists on disk is a folder (or file); an absolute path, a path starting with {@code .}
 * or {@code ~}, or one with a backslash or more than one {@code /} is a path even when it does not exist; otherwise
 * {@code owner/name[@rev]} is a repository and a lone word is a short id.
 */
public final class ModelRef {
    private static final Pattern REPO = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*");
    private static final Pattern WORD = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
    /** A full git commit hash. */
    static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");

    private final String text;
    private final Path path;
    private final String repo;
    private final String revision;

    private ModelRef(String text, Path path, String repo, String revision) {
        this.text = text;
        this.path = path;
        this.repo = repo;
        this.revision = revision;
    }

    /** Parses a reference (see the class comment). */
    public static ModelRef parse(String text) {
        Objects.requireNonNull(text, "model reference");
        String t = text.strip();
        if (t.isEmpty()) {
            throw new IllegalArgumentException("empty model reference");
        }
        Path p = asPath(t);
        if (p != null && Files.exists(p)) {
            return new ModelRef(t, p, null, null);
        }
        if (!looksLikePath(t)) {
            String name = t;
            String rev = null;
            int at = t.indexOf('@');
            if (at > 0) {
                name = t.substring(0, at);
                rev = t.substring(at + 1);
                if (rev.isBlank()) {
                    throw new IllegalArgumentException("'" + t + "': empty revision after '@'");
                }
            }
            if (REPO.matcher(name).matches()) {
                return new ModelRef(t, null, name, rev);
            }
            if (WORD.matcher(name).matches() && (rev != null || !name.contains("."))) {
                return new ModelRef(t, null, name, rev); // short id; the store maps it to a repository
            }
        }
        if (p == null) {
            throw new IllegalArgumentException("'" + t + "' is neither a folder nor a repository id (owner/name)");
        }
        return new ModelRef(t, p, null, null);
    }

    /** A repository reference. */
    public static ModelRef repo(String repo, String revision) {
        if (!REPO.matcher(repo).matches()) {
            throw new IllegalArgumentException("'" + repo + "' is not a repository id (owner/name)");
        }
        return new ModelRef(revision == null ? repo : repo + "@" + revision, null, repo, revision);
    }

    /** A folder reference. */
    public static ModelRef folder(Path folder) {
        return new ModelRef(folder.toString(), folder, null, null);
    }

    private static Path asPath(String t) {
        String s = t.startsWith("~/") || t.equals("~") ? System.getProperty("user.home") + t.substring(1) : t;
        try {
            return Path.of(s);
        } catch (InvalidPathException e) {
            return null;
        }
    }

    private static boolean looksLikePath(String t) {
        if (t.startsWith("/") || t.startsWith(".") || t.startsWith("~") || t.contains("\\")
                || t.matches("^[A-Za-z]:.*")) {
            return true;
        }
        String beforeAt = t.contains("@") ? t.substring(0, t.indexOf('@')) : t;
        return beforeAt.chars().filter(c -> c == '/').count() > 1 || beforeAt.endsWith(".safetensors")
                || beforeAt.endsWith(".json");
    }

    /** Whether this names a folder or file on disk (possibly a missing one). */
    public boolean isPath() {
        return path != null;
    }

    /** Whether this names a hub repository (or a supported model's short id). */
    public boolean isRepo() {
        return repo != null;
    }

    /** Whether this is a lone word (a descriptor's short id) rather than owner/name. */
    public boolean isShortId() {
        return repo != null && !repo.contains("/");
    }

    /** The folder or file, or null for a repository. */
    public Path path() {
        return path;
    }

    /** The repository id (or short id), or null for a folder. */
    public String repo() {
        return repo;
    }

    /** The revision after {@code @}, or null when none was given. */
    public String revision() {
        return revision;
    }

    /** The same repository at another revision. */
    public ModelRef withRevision(String rev) {
        if (repo == null) {
            throw new IllegalStateException("a folder has no revision");
        }
        return new ModelRef(rev == null ? repo : repo + "@" + rev, null, repo, rev);
    }

    /** The same reference with a short id replaced by the full repository id. */
    ModelRef withRepo(String fullRepo) {
        return new ModelRef(text, null, fullRepo, revision);
    }

    @Override
    public String toString() {
        return text;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ModelRef r && Objects.equals(path, r.path) && Objects.equals(repo, r.repo)
                && Objects.equals(revision, r.revision);
    }

    @Override
    public int hashCode() {
        return Objects.hash(path, repo, revision);
    }
}
