package org.layered.store;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What the plugin knows about one supported model without asking the network: its hub repository, how its
 * revision is chosen, its components (folder, class, required config files and keys, weight files, parameter
 * counts and bf16 sizes), its licence and its memory needs per device and dtype.
 *
 * <p>Descriptors are JSON files shipped in the jar under {@value #RESOURCE_DIR} (the same files as the project's
 * top-level {@code models/} folder). Exact weight-shard names are not part of a descriptor: the hub's file
 * listing provides them, and {@link #allows(String)} decides which listed files belong to the model.
 */
public final class ModelDescriptor {
    /** Class-path folder of the built-in descriptors. */
    public static final String RESOURCE_DIR = "org/layered/store/models/";
    /** File names of the built-in descriptors, in {@link #RESOURCE_DIR} and in the project's {@code models/}. */
    public static final List<String> BUILTIN_FILES = List.of("qwen-image-layered.json");

    /** How the revision to fetch is chosen. */
    public record Revision(String defaultRevision, String policy, String pinnedCommit, String note) {
        /** The revision used when a reference names none: the pinned commit, else the default branch. */
        public String effective() {
            return pinnedCommit != null ? pinnedCommit : defaultRevision;
        }
    }

    /** The model's licence. */
    public record Licence(String spdx, String url, boolean gated, String note) {}

    /** A JSON config file (path relative to its component folder or the model root) and keys it must have. */
    public record ConfigFile(String path, List<String> keys) {}

    /**
     * One component folder of a diffusers pipeline. {@code config} is the published {@code config.json} of the
     * component when the descriptor records it (so that memory can be planned before the model is downloaded), else
     * null.
     */
    public record Component(String name, String folder, String library, String className, String role,
            boolean required, String neededFor, boolean hasWeights, String dtype, long parameters, long bytes,
            boolean approximate, List<ConfigFile> configFiles, List<String> weightPatterns, JsonObject config) {
        /** A copy of the recorded {@code config.json}, or null. */
        @Override
        public JsonObject config() {
            return config == null ? null : config.deepCopy();
        }
    }

    /**
     * Memory needed to run the model in one configuration. {@code deviceBytes} is accelerator memory (0 on CPU),
     * {@code hostBytes} system memory; {@code basis} says where the figure comes from ("reported", "inference").
     */
    public record MemoryNeed(String device, String dtype, String mode, long deviceBytes, long hostBytes,
            String basis, String note) {}

    private final String id;
    private final String repo;
    private final String name;
    private final String description;
    private final String pipelineClass;
    private final Revision revision;
    private final Licence licence;
    private final long approxDownloadBytes;
    private final List<ConfigFile> rootFiles;
    private final List<String> allowPatterns;
    private final List<Pattern> allowRegex;
    private final List<Component> components;
    private final List<MemoryNeed> memory;
    private final String source;

    private ModelDescriptor(String id, String repo, String name, String description, String pipelineClass,
            Revision revision, Licence licence, long approxDownloadBytes, List<ConfigFile> rootFiles,
            List<String> allowPatterns, List<Component> components, List<MemoryNeed> memory, String source) {
        this.id = id;
        this.repo = repo;
        this.name = name;
        this.description = description;
        this.pipelineClass = pipelineClass;
        this.revision = revision;
        this.licence = licence;
        this.approxDownloadBytes = approxDownloadBytes;
        this.rootFiles = List.copyOf(rootFiles);
        this.allowPatterns = List.copyOf(allowPatterns);
        this.allowRegex = allowPatterns.stream().map(ModelDescriptor::globToRegex).toList();
        this.components = List.copyOf(components);
        this.memory = List.copyOf(memory);
        this.source = source;
    }

    // ---------------------------------------------------------------- loading

    /** The descriptors shipped with the plugin. */
    public static List<ModelDescriptor> builtins() {
        List<ModelDescriptor> out = new ArrayList<>();
        for (String f : BUILTIN_FILES) {
            try {
                out.add(fromResource(RESOURCE_DIR + f));
            } catch (ModelStoreException e) {
                throw new IllegalStateException("built-in model descriptor broken: " + e.getMessage(), e);
            }
        }
        return List.copyOf(out);
    }

    /** Reads a descriptor from the class path. */
    public static ModelDescriptor fromResource(String resource) throws ModelStoreException {
        try (InputStream in = ModelDescriptor.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new ModelStoreException(ModelStoreException.Reason.INVALID_DESCRIPTOR,
                        resource + ": model descriptor not found on the class path");
            }
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), resource);
        } catch (ModelStoreException e) {
            throw e;
        } catch (IOException e) {
            throw new ModelStoreException(ModelStoreException.Reason.INVALID_DESCRIPTOR,
                    resource + ": cannot read model descriptor (" + e.getMessage() + ")", e);
        }
    }

    /** Parses a descriptor; {@code source} names it in error messages. */
    public static ModelDescriptor parse(String json, String source) throws ModelStoreException {
        try {
            JsonElement root = JsonParser.parseString(json);
            if (!root.isJsonObject()) {
                throw bad(source, "not a JSON object");
            }
            JsonObject o = root.getAsJsonObject();
            int schema = integer(o, "schema", source);
            if (schema != 1) {
                throw bad(source, "unsupported schema " + schema + " (this plugin reads schema 1)");
            }
            String repo = str(o, "repo", source);
            if (!repo.matches("[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*")) {
                throw bad(source, "'repo' must be owner/name, got '" + repo + "'");
            }
            JsonObject rev = obj(o, "revision", source);
            Revision revision = new Revision(str(rev, "default", source), str(rev, "policy", source),
                    optStr(rev, "pinned_commit"), optStr(rev, "note"));
            if (revision.pinnedCommit() != null && !ModelRef.COMMIT.matcher(revision.pinnedCommit()).matches()) {
                throw bad(source, "'revision.pinned_commit' must be a 40-hex commit");
            }
            JsonObject lic = obj(o, "licence", source);
            Licence licence = new Licence(str(lic, "spdx", source), optStr(lic, "url"),
                    lic.has("gated") && lic.get("gated").getAsBoolean(), optStr(lic, "note"));
            List<ConfigFile> rootFiles = configFiles(o, "root_files", source);
            List<String> allow = strings(o, "allow_patterns", source);
            List<Component> comps = new ArrayList<>();
            for (JsonElement e : arr(o, "components", source)) {
                JsonObject c = e.getAsJsonObject();
                String cname = str(c, "name", source);
                String where = source + " component " + cname;
                String folder = str(c, "folder", where);
                HfCacheLayout.checkRelativePath(folder);
                comps.add(new Component(cname, folder, str(c, "library", where), str(c, "class", where),
                        optStr(c, "role"), bool(c, "required", where), optStr(c, "needed_for"),
                        bool(c, "weights", where), optStr(c, "dtype"), longv(c, "parameters", where),
                        longv(c, "bytes", where), c.has("approximate") && c.get("approximate").getAsBoolean(),
                        configFiles(c, "config_files", where), strings(c, "weight_patterns", where),
                        c.has("config") ? obj(c, "config", where) : null));
            }
            if (comps.isEmpty()) {
                throw bad(source, "no components");
            }
            List<MemoryNeed> mem = new ArrayList<>();
            if (o.has("memory")) {
                for (JsonElement e : arr(o, "memory", source)) {
                    JsonObject m = e.getAsJsonObject();
                    mem.add(new MemoryNeed(str(m, "device", source), str(m, "dtype", source), optStr(m, "mode"),
                            longv(m, "device_bytes", source), longv(m, "host_bytes", source), optStr(m, "basis"),
                            optStr(m, "note")));
                }
            }
            return new ModelDescriptor(str(o, "id", source), repo, str(o, "name", source), optStr(o, "description"),
                    optStr(o, "pipeline_class"), revision, licence, longv(o, "approx_download_bytes", source),
                    rootFiles, allow, comps, mem, source);
        } catch (JsonParseException | IllegalStateException | UnsupportedOperationException
                 | IllegalArgumentException e) {
            throw bad(source, e.getMessage());
        }
    }

    private static ModelStoreException bad(String source, String what) {
        return new ModelStoreException(ModelStoreException.Reason.INVALID_DESCRIPTOR,
                source + ": invalid model descriptor: " + what);
    }

    private static JsonElement need(JsonObject o, String key, String source) throws ModelStoreException {
        if (!o.has(key) || o.get(key).isJsonNull()) {
            throw bad(source, "missing '" + key + "'");
        }
        return o.get(key);
    }

    private static String str(JsonObject o, String key, String source) throws ModelStoreException {
        return need(o, key, source).getAsString();
    }

    private static String optStr(JsonObject o, String key) {
        return o.has(key) && !o.get(key).isJsonNull() ? o.get(key).getAsString() : null;
    }

    private static int integer(JsonObject o, String key, String source) throws ModelStoreException {
        return need(o, key, source).getAsInt();
    }

    private static long longv(JsonObject o, String key, String source) throws ModelStoreException {
        long v = need(o, key, source).getAsLong();
        if (v < 0) {
            throw bad(source, "'" + key + "' must not be negative");
        }
        return v;
    }

    private static boolean bool(JsonObject o, String key, String source) throws ModelStoreException {
        return need(o, key, source).getAsBoolean();
    }

    private static JsonObject obj(JsonObject o, String key, String source) throws ModelStoreException {
        JsonElement e = need(o, key, source);
        if (!e.isJsonObject()) {
            throw bad(source, "'" + key + "' must be an object");
        }
        return e.getAsJsonObject();
    }

    private static JsonArray arr(JsonObject o, String key, String source) throws ModelStoreException {
        JsonElement e = need(o, key, source);
        if (!e.isJsonArray()) {
            throw bad(source, "'" + key + "' must be a list");
        }
        return e.getAsJsonArray();
    }

    private static List<String> strings(JsonObject o, String key, String source) throws ModelStoreException {
        List<String> out = new ArrayList<>();
        for (JsonElement e : arr(o, key, source)) {
            out.add(e.getAsString());
        }
        return out;
    }

    private static List<ConfigFile> configFiles(JsonObject o, String key, String source)
            throws ModelStoreException {
        List<ConfigFile> out = new ArrayList<>();
        if (!o.has(key)) {
            return out;
        }
        for (JsonElement e : arr(o, key, source)) {
            JsonObject f = e.getAsJsonObject();
            String path = str(f, "path", source);
            HfCacheLayout.checkRelativePath(path);
            out.add(new ConfigFile(path, f.has("keys") ? strings(f, "keys", source) : List.of()));
        }
        return out;
    }

    /**
     * A glob over repository paths: {@code *} and {@code ?} stay within one path segment, {@code **} crosses
     * segments ({@code dir/**} matches everything below {@code dir}).
     */
    static Pattern globToRegex(String glob) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < glob.length(); i++) {
            char ch = glob.charAt(i);
            if (ch == '*') {
                if (i + 1 < glob.length() && glob.charAt(i + 1) == '*') {
                    b.append(".*");
                    i++;
                } else {
                    b.append("[^/]*");
                }
            } else if (ch == '?') {
                b.append("[^/]");
            } else {
                b.append(Pattern.quote(String.valueOf(ch)));
            }
        }
        return Pattern.compile(b.toString());
    }

    // ---------------------------------------------------------------- queries

    /** Finds a descriptor by repository id (case-insensitive, as the hub treats them) or short id. */
    public static Optional<ModelDescriptor> find(List<ModelDescriptor> descriptors, String repoOrId) {
        if (repoOrId == null) {
            return Optional.empty();
        }
        for (ModelDescriptor d : descriptors) {
            if (d.repo.equalsIgnoreCase(repoOrId) || d.id.equalsIgnoreCase(repoOrId)) {
                return Optional.of(d);
            }
        }
        return Optional.empty();
    }

    /** Whether a file of the hub listing belongs to the model (matches an allow pattern). */
    public boolean allows(String repoPath) {
        for (Pattern p : allowRegex) {
            if (p.matcher(repoPath).matches()) {
                return true;
            }
        }
        return false;
    }

    /** The component with this name. */
    public Optional<Component> component(String componentName) {
        return components.stream().filter(c -> c.name().equals(componentName)).findFirst();
    }

    /** The component whose folder holds {@code repoPath}, if any. */
    public Optional<Component> componentOf(String repoPath) {
        return components.stream().filter(c -> repoPath.startsWith(c.folder() + "/")).findFirst();
    }

    /** Memory needs for a device ("cuda", "cpu") and dtype ("bf16", "fp16", "fp32"); null matches any. */
    public List<MemoryNeed> memoryFor(String device, String dtype) {
        return memory.stream()
                .filter(m -> device == null || m.device().equalsIgnoreCase(device))
                .filter(m -> dtype == null || m.dtype().equalsIgnoreCase(dtype))
                .toList();
    }

    /** Sum of the components' weight sizes in bytes. */
    public long weightBytes() {
        return components.stream().mapToLong(Component::bytes).sum();
    }

    /** Sum of the components' parameter counts. */
    public long parameters() {
        return components.stream().mapToLong(Component::parameters).sum();
    }

    public String id() {
        return id;
    }

    public String repo() {
        return repo;
    }

    public String name() {
        return name;
    }

    public String description() {
        return description;
    }

    /** The diffusers pipeline class named by model_index.json. */
    public String pipelineClass() {
        return pipelineClass;
    }

    public Revision revision() {
        return revision;
    }

    public Licence licence() {
        return licence;
    }

    /** Approximate total download in bytes (what "download it (58 GB)?" shows). */
    public long approxDownloadBytes() {
        return approxDownloadBytes;
    }

    /** Files at the model root (model_index.json) with their required keys. */
    public List<ConfigFile> rootFiles() {
        return rootFiles;
    }

    public List<String> allowPatterns() {
        return allowPatterns;
    }

    public List<Component> components() {
        return components;
    }

    public List<MemoryNeed> memory() {
        return memory;
    }

    /** Where the descriptor was read from. */
    public String source() {
        return source;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s (%s, %s, ~%s)", id, repo, licence.spdx(), Sizes.si(approxDownloadBytes));
    }
}
