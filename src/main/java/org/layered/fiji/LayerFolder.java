package org.layered.fiji;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import org.layered.export.LayerExporter;
import org.layered.export.Manifest;
import org.layered.layers.LayerStack;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * One image's output folder: the chosen export formats plus {@code manifest.json}, which is written last, so a
 * folder with a manifest is complete (what the batch's resume relies on).
 *
 * <p>Everything is written into a hidden staging folder {@code .<name>.part} next to the target first; a new target
 * is then renamed into place in one step, an existing one gets its files replaced and its manifest last. A run
 * killed half-way leaves only the staging folder, which the next run discards.
 */
public final class LayerFolder {
    public static final String MANIFEST = "manifest.json";

    private LayerFolder() {}

    /** Whether {@code dir} holds a finished result. */
    public static boolean isComplete(Path dir) {
        return Files.isRegularFile(dir.resolve(MANIFEST));
    }

    /**
     * Writes {@code stack} in each format, then {@code manifest} (with a {@code files} list added).
     *
     * @return the files written, relative to {@code dir}
     */
    public static List<String> write(Path dir, LayerStack stack, List<LayerExporter> exporters, JsonObject manifest)
            throws IOException {
        Path name = dir.getFileName();
        if (name == null) {
            throw new IOException("not a folder path: " + dir);
        }
        Path parent = dir.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path part = parent.resolve("." + name + ".part");
        deleteTree(part);
        Files.createDirectories(part);
        List<String> files = new ArrayList<>();
        try {
            for (LayerExporter e : exporters) {
                e.write(stack, null, e.target(part));
                files.addAll(e.fileNames(stack.size()));
            }
            JsonArray list = new JsonArray();
            files.forEach(list::add);
            manifest.add("files", list);
            Manifest.write(manifest, part.resolve(MANIFEST));
            if (!Files.exists(dir)) {
                move(part, dir);
            } else {
                Files.deleteIfExists(dir.resolve(MANIFEST));
                try (DirectoryStream<Path> s = Files.newDirectoryStream(part)) {
                    for (Path f : s) {
                        if (!f.getFileName().toString().equals(MANIFEST)) {
                            move(f, dir.resolve(f.getFileName().toString()));
                        }
                    }
                }
                move(part.resolve(MANIFEST), dir.resolve(MANIFEST));
                deleteTree(part);
            }
        } catch (IOException | RuntimeException e) {
            try {
                deleteTree(part);
            } catch (IOException ignored) {
                // the original failure is what matters
            }
            throw e;
        }
        files.add(MANIFEST);
        return files;
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Deletes a staging folder this class created (and only such folders are passed here). */
    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(p)) {
            for (Path q : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(q);
            }
        }
    }
}
