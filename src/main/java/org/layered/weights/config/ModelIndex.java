package org.layered.weights.config;

import com.google.gson.JsonElement;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A diffusers pipeline folder: {@code model_index.json} naming each component (folder) and its library class.
 * Components may be absent on disk when a run does not need them (e.g. no text encoder when prompt embeddings are
 * given); {@link #componentDir(String)} only fails when a component is actually asked for.
 */
public final class ModelIndex {
    /** The component keys of the Qwen-Image pipelines; each must be {@code [library, class]} when present. */
    public static final List<String> COMPONENT_KEYS = List.of("scheduler", "text_encoder", "tokenizer", "processor",
            "transformer", "vae");
    private static final String FILE = "model_index.json";

    /** One entry of model_index.json, e.g. {@code "vae": ["diffusers", "AutoencoderKLQwenImage"]}. */
    public record Component(String name, String library, String className) {}

    private final Path root;
    private final String pipelineClass;
    private final Map<String, Component> components;

    private ModelIndex(Path root, String pipelineClass, Map<String, Component> components) {
        this.root = root;
        this.pipelineClass = pipelineClass;
        this.components = components;
    }

    /**
     * Reads and checks {@code root/model_index.json}: a JSON object whose {@code _class_name} is a string and whose
     * component entries are {@code [library, class]} pairs of strings ({@code [null, null]} declares a component
     * absent); other keys are plain attributes.
     *
     * @throws ConfigException naming the folder or file and the key when the folder or the file is missing or an
     *     entry has the wrong type, with what to do instead
     */
    public static ModelIndex read(Path root) throws ConfigException {
        if (!Files.isDirectory(root)) {
            throw new ConfigException(root + ": model folder not found");
        }
        Path index = root.resolve(FILE);
        if (!Files.isRegularFile(index)) {
            throw new ConfigException(root + ": no " + FILE + ", so this is not a diffusers model folder; "
                    + missingIndexHint(root));
        }
        JsonConfig cfg = JsonConfig.read(index);
        JsonElement cls = cfg.json().get("_class_name");
        if (cls == null || !cls.isJsonPrimitive() || !cls.getAsJsonPrimitive().isString()) {
            throw new ConfigException(index + ": '_class_name' must be the pipeline class name as a string, found "
                    + cls);
        }
        Map<String, Component> comps = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> e : cfg.json().entrySet()) {
            String key = e.getKey();
            JsonElement v = e.getValue();
            if (key.startsWith("_") || !(v.isJsonArray() || COMPONENT_KEYS.contains(key))) {
                continue; // plain attributes such as "is_distilled"
            }
            String[] pair = pair(v);
            if (pair == null) {
                throw new ConfigException(index + ": '" + key + "' must be [library, class], e.g. [\"diffusers\", "
                        + "\"AutoencoderKLQwenImage\"], found " + v);
            }
            if (pair[0] != null && pair[1] != null) {
                comps.put(key, new Component(key, pair[0], pair[1]));
            } // [null, null]: an optional component declared absent
        }
        return new ModelIndex(root, cls.getAsString(), comps);
    }

    /** {@code [library, class]} as two strings or two nulls; null when {@code v} is anything else. */
    private static String[] pair(JsonElement v) {
        if (!v.isJsonArray() || v.getAsJsonArray().size() != 2) {
            return null;
        }
        JsonElement a = v.getAsJsonArray().get(0);
        JsonElement b = v.getAsJsonArray().get(1);
        if (a.isJsonNull() && b.isJsonNull()) {
            return new String[2];
        }
        for (JsonElement x : new JsonElement[] {a, b}) {
            if (!x.isJsonPrimitive() || !x.getAsJsonPrimitive().isString() || x.getAsString().isBlank()) {
                return null;
            }
        }
        return new String[] {a.getAsString(), b.getAsString()};
    }

    /** What a folder without model_index.json probably is, and which folder to give instead. */
    private static String missingIndexHint(Path root) {
        Path config = root.resolve("config.json");
        if (Files.isRegularFile(config)) {
            String name = root.getFileName() == null ? "a" : "the '" + root.getFileName() + "'";
            return "it looks like " + name + " component folder of a model: give the model folder above it, "
                    + "which holds " + FILE;
        }
        if (Files.isRegularFile(root.resolve("scheduler_config.json"))) {
            return "it looks like the scheduler folder of a model: give the model folder above it, which holds "
                    + FILE;
        }
        return "give the folder that holds " + FILE + " (for the Hugging Face cache, the snapshots/<commit> folder "
                + "of the model; 'layered fetch' downloads it)";
    }

    public Path root() {
        return root;
    }

    /** The pipeline class from model_index.json. */
    public String pipelineClass() {
        return pipelineClass;
    }

    public Map<String, Component> components() {
        return Map.copyOf(components);
    }

    public Optional<Component> component(String name) {
        return Optional.ofNullable(components.get(name));
    }

    /** Whether model_index.json declares the component ({@code [library, class]}, not {@code [null, null]}). */
    public boolean declares(String name) {
        return components.containsKey(name);
    }

    /** Whether the component's folder exists on disk. */
    public boolean isPresent(String name) {
        return Files.isDirectory(root.resolve(name));
    }

    /**
     * The component's folder.
     *
     * @throws ConfigException naming the folder when it is missing, with the hint to download the model
     */
    public Path componentDir(String name) throws ConfigException {
        Path dir = root.resolve(name);
        if (!Files.isDirectory(dir)) {
            throw new ConfigException(root + ": component '" + name + "' is missing (no folder " + dir
                    + "); this run needs it. Download the complete model or give the inputs it would compute.");
        }
        return dir;
    }
}
