package org.layered.weights.config;

import com.google.gson.JsonElement;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A diffusers pipeline folder: {@code model_index.json} naming each component (folder) and its library class.
 * Components may be absent on disk when a run does not need them (e.g. no text encoder when prompt embeddings are
 * given); {@link #componentDir(String)} only fails when a component is actually asked for.
 */
public final class ModelIndex {
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
     * Reads {@code root/model_index.json}. A folder without one is accepted when it contains component folders
     * (each with a config file): tests and partial downloads build such folders.
     */
    public static ModelIndex read(Path root) throws ConfigException {
        if (!Files.isDirectory(root)) {
            throw new ConfigException(root + ": model folder not found");
        }
        Path index = root.resolve("model_index.json");
        Map<String, Component> comps = new LinkedHashMap<>();
        if (!Files.exists(index)) {
            for (String name : new String[] {"scheduler", "text_encoder", "tokenizer", "processor", "transformer",
                    "vae"}) {
                if (Files.isDirectory(root.resolve(name))) {
                    comps.put(name, new Component(name, "", ""));
                }
            }
            return new ModelIndex(root, "", comps);
        }
        JsonConfig cfg = JsonConfig.read(index);
        String cls = cfg.string("_class_name", "");
        for (Map.Entry<String, JsonElement> e : cfg.json().entrySet()) {
            if (e.getKey().startsWith("_")) {
                continue;
            }
            JsonElement v = e.getValue();
            if (!v.isJsonArray() || v.getAsJsonArray().size() != 2) {
                continue; // plain attributes such as "is_distilled"
            }
            JsonElement lib = v.getAsJsonArray().get(0);
            JsonElement klass = v.getAsJsonArray().get(1);
            if (lib.isJsonNull() || klass.isJsonNull()) {
                continue; // optional component declared absent
            }
            comps.put(e.getKey(), new Component(e.getKey(), lib.getAsString(), klass.getAsString()));
        }
        return new ModelIndex(root, cls, comps);
    }

    public Path root() {
        return root;
    }

    /** The pipeline class from model_index.json ("" when the folder has none). */
    public String pipelineClass() {
        return pipelineClass;
    }

    public Map<String, Component> components() {
        return Map.copyOf(components);
    }

    public Optional<Component> component(String name) {
        return Optional.ofNullable(components.get(name));
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
