package org.layered.export;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.layered.engine.Cancellation;
import org.layered.io.FileErrors;
import org.layered.layers.LayerStack;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * One result folder ({@code manifest.json} and the chosen formats), which the command line and the Fiji front ends
 * write the same way, so that nothing is lost and nothing half-written ever stands under the folder's name:
 * <ol>
 *   <li>{@link #claim} comes before any computing: it locks the folder against other runs ({@link FolderLock},
 *       a lock file beside it), and checks that it can be written — not a file, the parent writable, enough free
 *       space for the estimated result, and no files in it but a previous result's (those its manifest lists), so
 *       nobody's other files are ever replaced;</li>
 *   <li>{@link #write} exports into a hidden staging folder {@code .<name>.part} beside the target, with the
 *       manifest last, and then replaces the target as a whole: a new target is renamed into place; an existing
 *       one is renamed to {@code .<name>.old}, the staging folder takes its name, and the old one is deleted — so
 *       a rerun with fewer layers leaves no stale files;</li>
 *   <li>{@link #close} removes what a failed or cancelled run staged and releases the lock.</li>
 * </ol>
 * A run killed half-way leaves at most the hidden siblings, which the next claim clears (or, if the kill fell
 * between the two renames, puts the previous result back first; {@link #clearLeftovers} does it for a folder that
 * is not written again). A folder that holds a manifest is complete,
 * which the batch's resume relies on.
 */
public final class OutputFolder implements AutoCloseable {
    public static final String MANIFEST = "manifest.json";
    /** Room kept free beyond the estimate (the manifest, file system overhead). */
    private static final long MARGIN = 1 << 20;

    private final Path dir;
    private final Path staging;
    private final Path previous;
    private final FolderLock lock;
    /** The files of the result the folder held when claimed (manifest included); empty for a new folder. */
    private Set<String> previousFiles = Set.of();

    private OutputFolder(Path dir, FolderLock lock) {
        this.dir = dir;
        String name = dir.getFileName().toString();
        this.staging = dir.resolveSibling("." + name + ".part");
        this.previous = dir.resolveSibling("." + name + ".old");
        this.lock = lock;
    }

    /** Whether {@code dir} holds a finished result. */
    public static boolean isComplete(Path dir) {
        return Files.isRegularFile(dir.resolve(MANIFEST));
    }

    /**
     * Removes what a killed run left beside a folder that is not going to be written (a finished result that a
     * resumed batch skips): a run killed just after its result was moved into place leaves its lock file. Does
     * nothing while another run holds the folder.
     */
    public static void clearLeftovers(Path dir) {
        Path abs = dir.toAbsolutePath().normalize();
        if (abs.getFileName() == null) {
            return;
        }
        String name = abs.getFileName().toString();
        boolean any = false;
        for (String sibling : new String[] {"." + name + ".lock", "." + name + ".part", "." + name + ".old"}) {
            any |= Files.exists(abs.resolveSibling(sibling), LinkOption.NOFOLLOW_LINKS);
        }
        if (!any) {
            return;
        }
        try (OutputFolder f = claim(abs, 0)) {
            // claiming cleared the staging and previous folders; closing removes the lock file
        } catch (IOException e) {
            // held by another run, or not ours to touch: left as it is
        }
    }

    /** An upper bound of the bytes {@code exporters} write for {@code layers} layers of {@code w x h}. */
    public static long estimatedBytes(List<LayerExporter> exporters, int layers, int w, int h) {
        long sum = 0;
        for (LayerExporter e : exporters) {
            sum += e.estimatedBytes(layers, w, h);
        }
        return sum;
    }

    /**
     * Claims {@code dir} for one result, before anything is computed (see the class description).
     *
     * @param estimatedBytes the size of the result, checked against the free space (0: no check)
     * @throws IOException naming the folder and what is wrong: it exists as a file, a part of its path is a file,
     *                     permission denied, another run is writing it, it holds other files, the disk is too full
     */
    public static OutputFolder claim(Path dir, long estimatedBytes) throws IOException {
        Path abs = dir.toAbsolutePath().normalize();
        if (abs.getFileName() == null) {
            throw new IOException("cannot write a result into " + dir + ": give a folder below it");
        }
        if (Files.isDirectory(abs)) {
            abs = abs.toRealPath(); // a link to a folder: the folder it leads to is what gets replaced
        } else if (Files.exists(abs)) {
            throw new IOException(abs + " exists as a file; the output must be a folder (new, empty, or a previous "
                    + "result)");
        }
        Path parent = abs.getParent();
        try {
            Files.createDirectories(parent);
        } catch (FileAlreadyExistsException e) {
            throw new IOException("cannot create " + parent + ": a part of the path is a file, not a folder", e);
        } catch (IOException e) {
            throw FileErrors.describe("create", parent, e);
        }
        FolderLock lock;
        try {
            lock = FolderLock.acquire(parent.resolve("." + abs.getFileName() + ".lock"), abs);
        } catch (IOException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("another Layered run")) {
                throw e;
            }
            throw new IOException("cannot write in " + parent + " (results are staged beside the output folder): "
                    + FileErrors.cause(e), e);
        }
        OutputFolder f = new OutputFolder(abs, lock);
        try {
            f.recover();
            f.previousFiles = f.checkContents();
            f.checkSpace(estimatedBytes);
            f.createStaging();
            return f;
        } catch (IOException | RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    /** The folder the result goes to (absolute). */
    public Path path() {
        return dir;
    }

    /**
     * Writes {@code stack} in each format and then {@code manifest} (with a {@code files} list added) into the
     * staging folder, and puts it in the target's place.
     *
     * @param cancel checked between the files; a cancelled run leaves the target as it was
     * @return the files written, relative to the folder, the manifest last
     * @throws IOException naming the file or folder and the cause (permission denied, disk full, ...)
     */
    public List<String> write(LayerStack stack, List<LayerExporter> exporters, JsonObject manifest,
            Cancellation cancel) throws IOException {
        return write(LayerDocument.of(stack, null), exporters, manifest, cancel);
    }

    /** The same for a document: nested layers, names and pixel size. */
    public List<String> write(LayerDocument document, List<LayerExporter> exporters, JsonObject manifest,
            Cancellation cancel) throws IOException {
        List<String> files = new ArrayList<>();
        try {
            createStaging();
            for (LayerExporter e : exporters) {
                cancel.check();
                List<String> names = e.fileNames(document);
                try {
                    e.write(document, e.target(staging));
                } catch (IOException ex) {
                    throw new IOException("cannot write " + String.join(", ", names) + " into " + dir + ": "
                            + FileErrors.cause(ex), ex);
                }
                files.addAll(names);
            }
            JsonArray list = new JsonArray();
            files.forEach(list::add);
            manifest.add("files", list);
            try {
                Manifest.write(manifest, staging.resolve(MANIFEST));
            } catch (IOException ex) {
                throw new IOException("cannot write " + MANIFEST + " into " + dir + ": " + FileErrors.cause(ex), ex);
            }
            cancel.check();
            commit(files);
        } catch (IOException | RuntimeException e) {
            deleteQuietly(staging);
            throw e;
        }
        files.add(MANIFEST);
        return files;
    }

    /** Removes anything staged and not committed, and releases the lock. */
    @Override
    public void close() {
        deleteQuietly(staging);
        lock.close();
    }

    /** Clears what an interrupted run left beside the folder; a result caught between two renames is put back. */
    private void recover() throws IOException {
        deleteTree(staging);
        if (Files.isDirectory(previous)) {
            if (!Files.exists(dir)) {
                move(previous, dir);
            } else {
                deleteTree(previous);
            }
        }
    }

    /**
     * The files of the previous result in the folder, after checking that nothing else is there.
     *
     * @throws IOException listing (some of) the other files
     */
    private Set<String> checkContents() throws IOException {
        if (!Files.isDirectory(dir)) {
            return Set.of();
        }
        Set<String> listed = manifestFiles(dir);
        Set<String> other = new TreeSet<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            for (Path p : s) {
                String name = p.getFileName().toString();
                if (!listed.contains(name) || !Files.isRegularFile(p)) {
                    other.add(name);
                }
            }
        } catch (IOException e) {
            throw FileErrors.describe("read", dir, e);
        }
        if (!other.isEmpty()) {
            List<String> some = new ArrayList<>(other).subList(0, Math.min(3, other.size()));
            throw new IOException(dir + " holds files that are not part of a previous Layered result ("
                    + String.join(", ", some) + (other.size() > 3 ? ", ..." : "") + "); nothing was changed: choose "
                    + "a new or empty folder, or remove them");
        }
        return listed;
    }

    /** The files a Layered manifest in {@code dir} lists, plus the manifest; empty when there is none of ours. */
    private static Set<String> manifestFiles(Path dir) {
        Path m = dir.resolve(MANIFEST);
        if (!Files.isRegularFile(m)) {
            return Set.of();
        }
        try {
            JsonObject o = JsonParser.parseString(Files.readString(m, StandardCharsets.UTF_8)).getAsJsonObject();
            if (!o.has("generator") || !o.get("generator").getAsString().startsWith("Layered")) {
                return Set.of();
            }
            Set<String> out = new HashSet<>();
            out.add(MANIFEST);
            if (o.has("files")) {
                for (JsonElement e : o.getAsJsonArray("files")) {
                    String f = e.getAsString();
                    if (!f.contains("/") && !f.contains("\\")) {
                        out.add(f);
                    }
                }
            }
            return out;
        } catch (IOException | RuntimeException e) {
            return Set.of(); // not a manifest of ours: everything in the folder counts as someone else's
        }
    }

    private void checkSpace(long estimatedBytes) throws IOException {
        if (estimatedBytes <= 0) {
            return;
        }
        long free = Files.getFileStore(dir.getParent()).getUsableSpace();
        if (free < estimatedBytes + MARGIN) {
            throw new IOException(String.format(Locale.ROOT, "not enough free space for %s: the result needs about "
                    + "%.1f MiB, %.1f MiB are free there", dir, (estimatedBytes + MARGIN) / 1048576.0,
                    free / 1048576.0));
        }
    }

    private void createStaging() throws IOException {
        try {
            deleteTree(staging);
            Files.createDirectory(staging);
        } catch (IOException e) {
            throw FileErrors.describe("create", staging, e);
        }
    }

    /** Puts the staging folder in the target's place; see the class description. */
    private void commit(List<String> files) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            move(staging, dir);
            return;
        }
        // the lock keeps other Layered runs out, not people: check again what is there now
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(dir + " appeared as a file while the result was computed; it was left as it is");
        }
        previousFiles = checkContents();
        try {
            Files.setPosixFilePermissions(staging, Files.getPosixFilePermissions(dir));
        } catch (UnsupportedOperationException | IOException ignored) {
            // not a POSIX file system: the new folder keeps its default permissions
        }
        try {
            move(dir, previous);
        } catch (IOException e) {
            replaceContents(files); // the folder cannot be renamed (a mount point?): replace what is in it
            return;
        }
        try {
            move(staging, dir);
        } catch (IOException e) {
            move(previous, dir);
            throw FileErrors.describe("replace", dir, e);
        }
        deleteQuietly(previous);
    }

    /** The fallback: the manifest goes first and comes back last, so the folder is complete only when it is. */
    private void replaceContents(List<String> files) throws IOException {
        try {
            Files.deleteIfExists(dir.resolve(MANIFEST));
            for (String f : files) {
                move(staging.resolve(f), dir.resolve(f));
            }
            for (String old : previousFiles) {
                if (!files.contains(old) && !old.equals(MANIFEST)) {
                    Files.deleteIfExists(dir.resolve(old));
                }
            }
            move(staging.resolve(MANIFEST), dir.resolve(MANIFEST));
        } catch (IOException e) {
            throw FileErrors.describe("replace the files in", dir, e);
        }
        deleteQuietly(staging);
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Deletes a folder this class created (only such folders are passed here). */
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

    private static void deleteQuietly(Path p) {
        try {
            deleteTree(p);
        } catch (IOException ignored) {
            // the next claim of this folder clears it
        }
    }
}
