package org.layered.store;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Finds a model reference on disk, without network access and without writing anything. Order: an explicit
 * folder; then each location in the order given (by {@link ModelStore}: caches named by the user, the models
 * folder, the Hugging Face hub cache, the plugin's own cache). In a cache, the first complete snapshot wins; when
 * none is complete, the first one that has any component is returned (a partial download, flagged incomplete).
 */
public final class ModelResolver {
    /** A cache folder in the HF hub layout, or a models folder of plain model folders, and its role. */
    public record Location(Path root, ResolvedModel.Source source) {}

    private final List<Location> caches;
    private final List<ModelDescriptor> descriptors;

    public ModelResolver(List<Location> caches, List<ModelDescriptor> descriptors) {
        this.caches = List.copyOf(caches);
        this.descriptors = List.copyOf(descriptors);
    }

    public List<Location> caches() {
        return caches;
    }

    /** Resolves a reference as typed (see {@link ModelRef#parse}). */
    public ResolvedModel resolve(String ref) throws ModelStoreException {
        ModelRef r;
        try {
            r = ModelRef.parse(ref);
        } catch (IllegalArgumentException e) {
            throw new ModelStoreException(ModelStoreException.Reason.NOT_FOUND, e.getMessage());
        }
        return resolve(r);
    }

    /**
     * Resolves a reference.
     *
     * @throws ModelNotFoundException when no local copy exists (with the size and command to download it)
     */
    public ResolvedModel resolve(ModelRef ref) throws ModelStoreException {
        if (ref.isPath()) {
            Path p = ref.path();
            if (!Files.exists(p)) {
                throw new ModelNotFoundException(ref, null, List.of(),
                        p + ": no such file or folder");
            }
            List<String> notes = new ArrayList<>();
            ModelDescriptor d = Files.isDirectory(p) ? descriptorForFolder(p).orElse(null) : null;
            return inspect(ref.toString(), p, d, ResolvedModel.Source.FOLDER, null, null, null, null, notes);
        }
        ModelRef full = canonical(ref);
        ModelDescriptor d = ModelDescriptor.find(descriptors, full.repo()).orElse(null);
        List<ResolvedModel> found = candidates(full);
        for (ResolvedModel m : found) {
            if (m.isComplete()) {
                return m;
            }
        }
        for (ResolvedModel m : found) {
            if (m.hasAnyComponent()) {
                return m;
            }
        }
        throw notFound(full, d);
    }

    /** Like {@link #resolve(String)} but empty instead of {@code NOT_FOUND}. */
    public Optional<ResolvedModel> find(String ref) throws ModelStoreException {
        try {
            return Optional.of(resolve(ref));
        } catch (ModelNotFoundException e) {
            return Optional.empty();
        }
    }

    /** A short id replaced by its repository; an unknown short id is an error. */
    ModelRef canonical(ModelRef ref) throws ModelStoreException {
        if (!ref.isRepo()) {
            return ref;
        }
        Optional<ModelDescriptor> d = ModelDescriptor.find(descriptors, ref.repo());
        if (ref.isShortId()) {
            if (d.isEmpty()) {
                throw new ModelNotFoundException(ref, null, List.of(), "'" + ref + "': no such folder, and not a "
                        + "known model id (known: " + String.join(", ", descriptors.stream()
                        .map(x -> x.id() + " = " + x.repo()).toList()) + ")");
            }
            return ref.withRepo(d.get().repo());
        }
        return d.isPresent() ? ref.withRepo(d.get().repo()) : ref;
    }

    /** The revision used for a reference: the one given, else the descriptor's, else "main". */
    String revisionOf(ModelRef ref) {
        if (ref.revision() != null) {
            return ref.revision();
        }
        return ModelDescriptor.find(descriptors, ref.repo()).map(d -> d.revision().effective()).orElse("main");
    }

    /** Every local copy of a repository reference, in resolution order. */
    public List<ResolvedModel> candidates(ModelRef ref) throws ModelStoreException {
        ModelRef full = canonical(ref);
        ModelDescriptor d = ModelDescriptor.find(descriptors, full.repo()).orElse(null);
        String rev = revisionOf(full);
        List<ResolvedModel> out = new ArrayList<>();
        Set<Path> seen = new LinkedHashSet<>();
        for (Location loc : caches) {
            if (!seen.add(loc.root().toAbsolutePath().normalize())) {
                continue;
            }
            if (loc.source() == ResolvedModel.Source.MODELS_FOLDER) {
                modelFolder(loc.root(), full, d, rev).ifPresent(out::add);
                continue;
            }
            HfCacheLayout layout = new HfCacheLayout(loc.root());
            Optional<HfCacheLayout.Snapshot> s = layout.findSnapshot(full.repo(), rev, full.revision() == null);
            if (s.isPresent()) {
                List<String> notes = new ArrayList<>();
                notes.add(s.get().note());
                List<String> pending = layout.readPendingFetch(full.repo(), s.get().commit()).orElse(null);
                out.add(inspect(full.toString(), s.get().dir(), d, loc.source(), layout.root(), full.repo(), rev,
                        s.get().commit(), notes, pending));
            }
        }
        return out;
    }

    /**
     * The copy of {@code ref} in a models folder: {@code <root>/<repository name>/}, taken when it holds a model
     * and nothing says it is another one (the repository or, for a commit asked for, the commit its last fetch
     * recorded). A folder copied in by hand has no record and is taken as it is.
     */
    private static Optional<ResolvedModel> modelFolder(Path root, ModelRef ref, ModelDescriptor d, String rev) {
        Path dir = root.resolve(ModelFolderLayout.folderName(ref.repo()));
        if (!Files.isRegularFile(dir.resolve("model_index.json")) && (d == null || d.components().stream()
                .noneMatch(c -> Files.isDirectory(dir.resolve(c.folder()))))) {
            return Optional.empty();
        }
        Optional<ModelFolderLayout.Source> source = ModelFolderLayout.readSource(dir);
        List<String> notes = new ArrayList<>();
        String commit = source.map(ModelFolderLayout.Source::commit).orElse(null);
        if (source.isPresent() && source.get().repo() != null && !source.get().repo().equals(ref.repo())) {
            return Optional.empty();
        }
        if (ModelRef.COMMIT.matcher(rev).matches() && commit != null && !commit.equals(rev)) {
            return Optional.empty();
        }
        notes.add(commit == null ? "a model folder without download records (copied in)" : "commit " + commit);
        return Optional.of(inspect(ref.toString(), dir, d, ResolvedModel.Source.MODELS_FOLDER, root, ref.repo(), rev,
                commit, notes, ModelFolderLayout.readPendingFetch(dir).orElse(null)));
    }

    ModelNotFoundException notFound(ModelRef ref, ModelDescriptor d) {
        List<Path> searched = caches.stream().map(Location::root).distinct().toList();
        String rev = revisionOf(ref);
        StringBuilder m = new StringBuilder("model ").append(ref.repo());
        if (ref.revision() != null) {
            m.append(" at revision ").append(rev);
        }
        m.append(" not found (searched ").append(searched.isEmpty() ? "no cache folders" : String.join(", ",
                searched.stream().map(Path::toString).toList())).append("); download it");
        if (d != null) {
            m.append(" (").append(Sizes.si(d.approxDownloadBytes())).append(')');
        }
        m.append(" with 'layered fetch --model ").append(ref.repo());
        if (ref.revision() != null) {
            m.append(" --revision ").append(ref.revision());
        }
        m.append('\'');
        return new ModelNotFoundException(ref, d, searched, m.toString());
    }

    /** The descriptor whose pipeline class a folder's model_index.json names. */
    Optional<ModelDescriptor> descriptorForFolder(Path folder) {
        Path index = folder.resolve("model_index.json");
        if (!Files.isRegularFile(index)) {
            return Optional.empty();
        }
        try {
            JsonElement e = JsonParser.parseString(Files.readString(index, StandardCharsets.UTF_8));
            if (e.isJsonObject() && e.getAsJsonObject().has("_class_name")) {
                String cls = e.getAsJsonObject().get("_class_name").getAsString();
                return descriptors.stream().filter(d -> cls.equals(d.pipelineClass())).findFirst();
            }
        } catch (IOException | RuntimeException ex) {
            // an unreadable index: no descriptor; the loader reports the error with its own message
        }
        return Optional.empty();
    }

    /** Checks a folder against a descriptor (null: no checks). Reads only. */
    public static ResolvedModel inspect(String reference, Path root, ModelDescriptor d, ResolvedModel.Source source,
            Path cacheRoot, String repo, String revision, String commit, List<String> notes) {
        return inspect(reference, root, d, source, cacheRoot, repo, revision, commit, notes, null);
    }

    /**
     * Checks a folder against a descriptor; {@code expectedFiles} (repository paths, or null) are files an
     * unfinished fetch was to put there: those absent make their component incomplete.
     */
    static ResolvedModel inspect(String reference, Path root, ModelDescriptor d, ResolvedModel.Source source,
            Path cacheRoot, String repo, String revision, String commit, List<String> notes,
            List<String> expectedFiles) {
        List<ResolvedModel.ComponentStatus> comps = new ArrayList<>();
        List<String> allNotes = new ArrayList<>(notes);
        if (d != null && Files.isDirectory(root)) {
            for (ModelDescriptor.ConfigFile f : d.rootFiles()) {
                Path p = root.resolve(f.path());
                if (!Files.isRegularFile(p)) {
                    allNotes.add(f.path() + " is missing");
                } else {
                    allNotes.addAll(checkKeys(p, f.path(), f.keys()));
                }
            }
            for (ModelDescriptor.Component c : d.components()) {
                comps.add(check(root, c));
            }
        }
        if (expectedFiles != null) {
            List<String> absent = new ArrayList<>();
            for (String f : expectedFiles) {
                try {
                    Path p = root;
                    for (String seg : HfCacheLayout.checkRelativePath(f).split("/")) {
                        p = p.resolve(seg);
                    }
                    if (!Files.isRegularFile(p)) {
                        absent.add(f);
                    }
                } catch (IllegalArgumentException e) {
                    // not a usable path: ignore the entry
                }
            }
            if (!absent.isEmpty()) {
                allNotes.add("an interrupted fetch left " + absent.size() + " file(s) to download");
                for (int i = 0; i < comps.size(); i++) {
                    ResolvedModel.ComponentStatus c = comps.get(i);
                    List<String> mine = absent.stream().filter(f -> f.startsWith(c.component().folder() + "/"))
                            .toList();
                    if (!mine.isEmpty() && c.state() == ResolvedModel.State.PRESENT) {
                        comps.set(i, new ResolvedModel.ComponentStatus(c.component(), ResolvedModel.State.INCOMPLETE,
                                mine, c.bytesOnDisk(), c.warnings()));
                    } else if (!mine.isEmpty() && c.state() == ResolvedModel.State.INCOMPLETE) {
                        LinkedHashSet<String> all = new LinkedHashSet<>(c.missingFiles());
                        all.addAll(mine);
                        comps.set(i, new ResolvedModel.ComponentStatus(c.component(), c.state(), List.copyOf(all),
                                c.bytesOnDisk(), c.warnings()));
                    }
                }
            }
        }
        return new ResolvedModel(reference, root, source, cacheRoot, repo, revision, commit, d, comps, allNotes);
    }

    private static ResolvedModel.ComponentStatus check(Path root, ModelDescriptor.Component c) {
        Path dir = root.resolve(c.folder());
        if (!Files.isDirectory(dir)) {
            return new ResolvedModel.ComponentStatus(c, ResolvedModel.State.MISSING, List.of(c.folder() + "/"), 0,
                    List.of());
        }
        List<String> missing = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        for (ModelDescriptor.ConfigFile f : c.configFiles()) {
            Path p = dir.resolve(f.path());
            String rel = c.folder() + "/" + f.path();
            if (!Files.isRegularFile(p)) {
                missing.add(rel);
            } else {
                warnings.addAll(checkKeys(p, rel, f.keys()));
            }
        }
        List<Path> files = listFiles(dir);
        if (c.hasWeights()) {
            List<Path> indexes = files.stream().filter(p -> p.getFileName().toString()
                    .endsWith(".safetensors.index.json")).toList();
            if (!indexes.isEmpty()) {
                for (Path index : indexes) {
                    for (String shard : shardsOf(index, warnings)) {
                        if (!Files.isRegularFile(index.resolveSibling(shard))) {
                            missing.add(c.folder() + "/" + shard);
                        }
                    }
                }
            } else if (files.stream().noneMatch(p -> p.getFileName().toString().endsWith(".safetensors")
                    && Files.isRegularFile(p))) {
                missing.add(c.folder() + "/*.safetensors");
            }
        }
        long bytes = 0;
        for (Path p : files) {
            try {
                if (Files.isRegularFile(p)) {
                    bytes += Files.size(p);
                } else if (Files.isSymbolicLink(p)) {
                    missing.add(c.folder() + "/" + dir.relativize(p).toString().replace('\\', '/')
                            + " (dangling link)");
                }
            } catch (IOException e) {
                warnings.add(p + ": " + e.getMessage());
            }
        }
        ResolvedModel.State state = missing.isEmpty() ? ResolvedModel.State.PRESENT : ResolvedModel.State.INCOMPLETE;
        return new ResolvedModel.ComponentStatus(c, state, List.copyOf(new LinkedHashSet<>(missing)), bytes,
                warnings);
    }

    private static List<Path> listFiles(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> !p.equals(dir) && !Files.isDirectory(p)).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static List<String> shardsOf(Path index, List<String> warnings) {
        try {
            JsonObject o = JsonParser.parseString(Files.readString(index, StandardCharsets.UTF_8)).getAsJsonObject();
            Set<String> shards = new LinkedHashSet<>();
            for (var e : o.getAsJsonObject("weight_map").entrySet()) {
                String shard = e.getValue().getAsString();
                HfCacheLayout.checkRelativePath(shard);
                shards.add(shard);
            }
            return List.copyOf(shards);
        } catch (IOException | RuntimeException e) {
            warnings.add(index.getFileName() + ": unreadable shard index (" + e.getMessage() + ")");
            return List.of();
        }
    }

    private static List<String> checkKeys(Path file, String rel, List<String> keys) {
        try {
            JsonElement e = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8));
            if (!e.isJsonObject()) {
                return List.of(rel + " is not a JSON object");
            }
            List<String> out = new ArrayList<>();
            for (String k : keys) {
                if (!e.getAsJsonObject().has(k)) {
                    out.add(rel + " lacks key '" + k + "'");
                }
            }
            return out;
        } catch (IOException | RuntimeException ex) {
            return List.of(rel + " is not valid JSON (" + ex.getMessage() + ")");
        }
    }
}
