package org.layered.weights.safetensors;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The weights of one diffusers/transformers component: a single {@code *.safetensors} file or the shards listed by a
 * {@code *.safetensors.index.json} ({@code {"metadata": {...}, "weight_map": {tensor: shard file}}}).
 *
 * <p>All shard headers are read and validated when opening (headers only, a few MB even for 58 GB), so a missing or
 * mismatched shard is reported before any computation starts rather than halfway through loading. Tensors found in a
 * shard but not listed in the index are kept, as the Python loaders (which read whole shards) do; a tensor present in
 * two shards is an error. Thread-safe.
 */
public final class ShardedCheckpoint implements AutoCloseable {
    /** Weight file names that diffusers ({@code diffusion_pytorch_model}) and transformers ({@code model}) save. */
    static final List<String> STANDARD_NAMES = List.of("diffusion_pytorch_model.safetensors", "model.safetensors");

    private static final String INDEX_SUFFIX = ".safetensors.index.json";

    private final Path source;
    private final List<SafetensorsFile> files;
    private final Map<String, SafetensorsFile> owner;
    private final List<TensorInfo> tensors;
    private final Set<String> names;
    private final Map<String, String> metadata;

    private ShardedCheckpoint(Path source, List<SafetensorsFile> files, Map<String, SafetensorsFile> owner,
            Map<String, String> metadata) {
        this.source = source;
        this.files = List.copyOf(files);
        this.owner = owner;
        this.metadata = metadata;
        List<TensorInfo> all = new ArrayList<>(owner.size());
        for (SafetensorsFile f : files) {
            all.addAll(f.tensors());
        }
        this.tensors = List.copyOf(all);
        this.names = Collections.unmodifiableSet(new TreeSet<>(owner.keySet()));
    }

    /**
     * Opens a checkpoint. A file is used as given (an index if its name ends with {@code .json}, else one
     * safetensors file). In a folder, a {@code *.safetensors.index.json} is preferred; without one, a file with a
     * standard name ({@code diffusion_pytorch_model.safetensors}, then {@code model.safetensors}) is used, as the
     * Python loaders do, even beside other safetensors files; otherwise the folder must hold exactly one
     * {@code *.safetensors} file.
     *
     * @throws SafetensorsFormatException if the folder is ambiguous or empty, the index is malformed, a shard is
     *     missing or disagrees with the index, or a file is not valid safetensors
     * @throws IOException if a file cannot be read
     */
    public static ShardedCheckpoint open(Path dirOrFile) throws IOException {
        Objects.requireNonNull(dirOrFile, "dirOrFile");
        if (Files.isDirectory(dirOrFile)) {
            List<Path> indexes = new ArrayList<>();
            List<Path> plain = new ArrayList<>();
            try (Stream<Path> s = Files.list(dirOrFile)) {
                s.filter(Files::isRegularFile).sorted().forEach(p -> {
                    String n = p.getFileName().toString();
                    if (n.endsWith(INDEX_SUFFIX)) {
                        indexes.add(p);
                    } else if (n.endsWith(".safetensors")) {
                        plain.add(p);
                    }
                });
            }
            if (indexes.size() > 1) {
                throw new SafetensorsFormatException(dirOrFile, null, "folder has several index files "
                        + fileNames(indexes), "pass the index file to use instead of the folder");
            }
            if (indexes.size() == 1) {
                return openIndex(indexes.get(0));
            }
            if (plain.isEmpty()) {
                throw new SafetensorsFormatException(dirOrFile, null, "folder has no *.safetensors file and no "
                        + "*" + INDEX_SUFFIX, "download the component's weights into this folder");
            }
            for (String standard : STANDARD_NAMES) {
                // diffusers and transformers load these names and ignore other files in the folder
                Path p = dirOrFile.resolve(standard);
                if (plain.contains(p)) {
                    return openSingle(p);
                }
            }
            if (plain.size() > 1) {
                throw new SafetensorsFormatException(dirOrFile, null, "folder has several *.safetensors files "
                        + fileNames(plain) + " but no *" + INDEX_SUFFIX + " saying how they fit together",
                        "restore the index file, or pass the safetensors file to use");
            }
            return openSingle(plain.get(0));
        }
        if (dirOrFile.getFileName().toString().endsWith(".json")) {
            return openIndex(dirOrFile);
        }
        return openSingle(dirOrFile);
    }

    private static ShardedCheckpoint openSingle(Path file) throws IOException {
        SafetensorsFile f = SafetensorsFile.open(file);
        Map<String, SafetensorsFile> owner = new HashMap<>();
        for (TensorInfo t : f.tensors()) {
            owner.put(t.name(), f);
        }
        return new ShardedCheckpoint(file, List.of(f), owner, f.metadata());
    }

    private static ShardedCheckpoint openIndex(Path index) throws IOException {
        String redo = "the index is corrupt; re-download it";
        Object root;
        try {
            root = StrictJson.parse(Files.readString(index, StandardCharsets.UTF_8));
        } catch (StrictJson.Error e) {
            List<String> p = e.path;
            String tensor = p.size() == 2 && p.get(0).equals("weight_map") ? p.get(1) : null;
            throw new SafetensorsFormatException(index, tensor, (e.duplicate ? "index has a " : "index is not "
                    + "valid JSON: ") + e.getMessage(), redo);
        } catch (MalformedInputException e) {
            throw new SafetensorsFormatException(index, null, "index is not valid UTF-8", redo, e);
        }
        if (!(root instanceof Map<?, ?> rootMap)) {
            throw new SafetensorsFormatException(index, null, "index is " + StrictJson.typeName(root)
                    + ", expected a JSON object with a \"weight_map\"", redo);
        }
        Object wm = rootMap.get("weight_map");
        if (!(wm instanceof Map<?, ?> weightMap)) {
            throw new SafetensorsFormatException(index, null, "\"weight_map\" is " + StrictJson.typeName(wm)
                    + ", expected an object mapping tensor names to shard files", redo);
        }
        if (weightMap.isEmpty()) {
            throw new SafetensorsFormatException(index, null, "\"weight_map\" lists no tensors", redo);
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        Object md = rootMap.get("metadata");
        if (md instanceof Map<?, ?> mdMap) {
            for (Map.Entry<?, ?> e : mdMap.entrySet()) {
                metadata.put((String) e.getKey(), String.valueOf(e.getValue()));
            }
        } else if (md != null && md != StrictJson.NULL) {
            throw new SafetensorsFormatException(index, null, "\"metadata\" is " + StrictJson.typeName(md)
                    + ", expected an object", redo);
        }

        // Shards in order of first mention, each checked to exist before any is opened.
        Path dir = index.toAbsolutePath().getParent();
        Map<String, Path> shards = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : weightMap.entrySet()) {
            String tensor = (String) e.getKey();
            if (!(e.getValue() instanceof String shard) || shard.isEmpty()) {
                throw new SafetensorsFormatException(index, tensor, "shard file name is "
                        + StrictJson.typeName(e.getValue()) + ", expected a non-empty string", redo);
            }
            if (!shards.containsKey(shard)) {
                Path p = dir.resolve(shard).normalize();
                if (!Files.isRegularFile(p)) {
                    throw new SafetensorsFormatException(index, tensor, "shard '" + shard + "' listed in the index "
                            + "is missing (expected at " + p + ")", "download the missing shard into " + dir);
                }
                shards.put(shard, p);
            }
        }

        List<SafetensorsFile> opened = new ArrayList<>();
        try {
            Map<String, SafetensorsFile> owner = new HashMap<>();
            Map<String, SafetensorsFile> byShard = new HashMap<>();
            for (Map.Entry<String, Path> s : shards.entrySet()) {
                SafetensorsFile f = SafetensorsFile.open(s.getValue());
                opened.add(f);
                byShard.put(s.getKey(), f);
                for (TensorInfo t : f.tensors()) {
                    SafetensorsFile other = owner.putIfAbsent(t.name(), f);
                    if (other != null) {
                        throw new SafetensorsFormatException(index, t.name(), "tensor is in two shards, '"
                                + other.path().getFileName() + "' and '" + f.path().getFileName() + "'",
                                "the shards come from different downloads; re-download the component");
                    }
                }
            }
            for (Map.Entry<?, ?> e : weightMap.entrySet()) {
                String tensor = (String) e.getKey();
                String shard = (String) e.getValue();
                SafetensorsFile f = byShard.get(shard);
                if (!f.contains(tensor)) {
                    SafetensorsFile actual = owner.get(tensor);
                    throw new SafetensorsFormatException(index, tensor, "index maps it to shard '" + shard
                            + "', but that shard has no such tensor" + (actual == null ? ""
                            : " (it is in '" + actual.path().getFileName() + "')"),
                            "the index and shards come from different downloads; re-download the component");
                }
            }
            return new ShardedCheckpoint(index, opened, owner, Collections.unmodifiableMap(metadata));
        } catch (IOException | RuntimeException e) {
            for (SafetensorsFile f : opened) {
                try {
                    f.close();
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    private static String fileNames(List<Path> paths) {
        List<String> names = new ArrayList<>();
        for (Path p : paths) {
            names.add("'" + p.getFileName() + "'");
        }
        return "(" + String.join(", ", names) + ")";
    }

    /** The file this checkpoint was opened from: the index, or the single safetensors file. */
    public Path source() {
        return source;
    }

    /** The safetensors files, in the order of first mention in the index. */
    public List<Path> files() {
        List<Path> out = new ArrayList<>(files.size());
        for (SafetensorsFile f : files) {
            out.add(f.path());
        }
        return Collections.unmodifiableList(out);
    }

    /**
     * The index's {@code "metadata"} (values as JSON text, e.g. {@code total_size}) or the single file's
     * {@code __metadata__}; unmodifiable.
     */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** All tensors, file by file, each file in offset order; unmodifiable. */
    public List<TensorInfo> tensors() {
        return tensors;
    }

    /** All tensor names, sorted; unmodifiable. */
    public Set<String> names() {
        return names;
    }

    /** Whether the checkpoint has a tensor called {@code name}. */
    public boolean contains(String name) {
        return owner.containsKey(name);
    }

    /**
     * The header entry of {@code name}.
     *
     * @throws NoSuchElementException naming the checkpoint and the closest existing names
     */
    public TensorInfo info(String name) {
        return fileOf(name).info(name);
    }

    /**
     * The file holding {@code name}.
     *
     * @throws NoSuchElementException naming the checkpoint and the closest existing names
     */
    public SafetensorsFile fileOf(String name) {
        SafetensorsFile f = owner.get(name);
        if (f == null) {
            throw new NoSuchElementException(SafetensorsFormatException.oneLine(source + ": no tensor '" + name
                    + "'; " + Suggestions.hint(name, owner.keySet())));
        }
        return f;
    }

    /** Reads bytes of {@code name} into {@code dst}, as {@link SafetensorsFile#read(String, long, ByteBuffer)}. */
    public void read(String name, long offset, ByteBuffer dst) throws IOException {
        fileOf(name).read(name, offset, dst);
    }

    /** The bytes of {@code name}, as {@link SafetensorsFile#data(String)} returns them (Java readers only). */
    public List<ByteBuffer> data(String name) throws IOException {
        return fileOf(name).data(name);
    }

    /** Total tensor bytes over all files (headers excluded). */
    public long totalBytes() {
        long sum = 0;
        for (TensorInfo t : tensors) {
            sum += t.end() - t.begin();
        }
        return sum;
    }

    /** Closes every file; buffers already returned stay readable. */
    @Override
    public void close() throws IOException {
        IOException first = null;
        for (SafetensorsFile f : files) {
            try {
                f.close();
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    @Override
    public String toString() {
        return "ShardedCheckpoint[" + source + ", " + files.size() + " files, " + owner.size() + " tensors]";
    }
}
