package org.layered.weights;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The identity of a model's files at one moment: for {@code model_index.json} and each file in the model's component
 * folders (hidden files excluded; links followed, as the loaders follow them), its size, modification time,
 * status-change time where the file system has one, and file key (device and inode). A model kept loaded between
 * runs takes one as it starts loading and compares it with the files before each run: a weight file overwritten in
 * place (same size, new times), truncated, removed, replaced by another file or re-linked to another blob shows up
 * as a change. Files added later are not: a loaded model does not read them, and outputs saved into the model
 * folder must not force a reload.
 */
public final class ModelFingerprint {
    private static final String INDEX = "model_index.json";

    private record Identity(long size, FileTime modified, Object changed, Object fileKey) {}

    private final Path root;
    private final List<String> components;
    private final Map<String, Identity> files;

    private ModelFingerprint(Path root, Collection<String> components, Map<String, Identity> files) {
        this.root = root;
        this.components = List.copyOf(components);
        this.files = files;
    }

    /**
     * The identity now of {@code root}'s {@code model_index.json} and of the files in its {@code components}
     * folders (those that exist).
     *
     * @throws IOException if {@code root} is not a readable folder
     */
    public static ModelFingerprint of(Path root, Collection<String> components) throws IOException {
        Path r = root.toAbsolutePath().normalize();
        if (!Files.isDirectory(r)) {
            throw new NoSuchFileException(r.toString(), null, "model folder not found");
        }
        Map<String, Identity> files = new TreeMap<>();
        put(files, r, INDEX);
        for (String c : new TreeSet<>(components)) {
            Path dir = r.resolve(c);
            if (Files.isDirectory(dir)) {
                try (Stream<Path> s = Files.list(dir)) {
                    for (Path p : (Iterable<Path>) s::iterator) {
                        String name = p.getFileName().toString();
                        if (!name.startsWith(".")) {
                            put(files, r, c + "/" + name);
                        }
                    }
                } catch (UncheckedIOException e) {
                    throw e.getCause();
                }
            }
        }
        return new ModelFingerprint(r, components, files);
    }

    private static void put(Map<String, Identity> files, Path root, String relative) throws IOException {
        Identity id = identity(root.resolve(relative));
        if (id != null) {
            files.put(relative, id);
        }
    }

    /** The identity of a regular file (through links), or null for folders, dangling links and vanished files. */
    private static Identity identity(Path p) throws IOException {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(p, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            return null;
        }
        if (!a.isRegularFile()) {
            return null;
        }
        Object changed;
        try {
            changed = Files.getAttribute(p, "unix:ctime");
        } catch (UnsupportedOperationException | IllegalArgumentException | NoSuchFileException e) {
            changed = null; // no status-change time on this file system
        }
        return new Identity(a.size(), a.lastModifiedTime(), changed, a.fileKey());
    }

    /** The model folder (absolute, normalised). */
    public Path root() {
        return root;
    }

    /** The component folders covered. */
    public List<String> components() {
        return components;
    }

    /** Number of files covered. */
    public int fileCount() {
        return files.size();
    }

    /**
     * How the files differ now from when this fingerprint was taken, one entry per file, e.g.
     * {@code transformer/diffusion_pytorch_model.safetensors was rewritten (size 1024 -> 512 bytes)}; empty when
     * nothing changed. A folder that vanished reports every file as removed.
     *
     * @throws IOException if a file's attributes cannot be read
     */
    public List<String> changes() throws IOException {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, Identity> e : files.entrySet()) {
            Identity was = e.getValue();
            Identity is = identity(root.resolve(e.getKey()));
            if (is == null) {
                out.add(e.getKey() + " was removed");
            } else if (!Objects.equals(was.fileKey(), is.fileKey())) {
                out.add(e.getKey() + " was replaced by another file");
            } else if (was.size() != is.size()) {
                out.add(e.getKey() + " was rewritten (size " + was.size() + " -> " + is.size() + " bytes)");
            } else if (!was.modified().equals(is.modified()) || !Objects.equals(was.changed(), is.changed())) {
                out.add(e.getKey() + " was rewritten (same size, modified " + was.modified() + " -> "
                        + is.modified() + ")");
            }
        }
        return out;
    }

    /** One line for a non-empty {@link #changes()} list: the first change and how many more there are. */
    public static String summary(List<String> changes) {
        if (changes.isEmpty()) {
            return "no model file changed";
        }
        String first = changes.get(0);
        return changes.size() == 1 ? "model file " + first
                : "model file " + first + " (and " + (changes.size() - 1) + " more change(s))";
    }
}
