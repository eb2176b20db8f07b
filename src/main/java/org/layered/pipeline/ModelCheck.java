package org.layered.pipeline;

import org.layered.model.text.Qwen25VLConfig;
import org.layered.model.text.Qwen25VLModel;
import org.layered.model.text.Qwen2LanguageModel;
import org.layered.model.text.QwenTokenizer;
import org.layered.model.text.vision.ImageProcessorConfig;
import org.layered.model.transformer.QwenImageTransformer;
import org.layered.model.transformer.TransformerConfig;
import org.layered.model.vae.VaeConfig;
import org.layered.model.vae.VaeLayout;
import org.layered.weights.ComfyFp8Weights;
import org.layered.weights.SafetensorsWeights;
import org.layered.weights.WeightSource;
import org.layered.weights.config.ConfigException;
import org.layered.weights.config.ModelIndex;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Everything a model folder is checked for before any weight is read, in one place, so that {@code layered info}
 * and loading ({@link DecomposePipeline#open}) agree: {@code model_index.json} (present, well-typed, this pipeline),
 * then per component its config and its safetensors headers against the tensors the config implies — with the very
 * checks the component's loader runs. Only headers and small config files are read; no engine is needed.
 *
 * <p>The scheduler, VAE and transformer are needed by every run. The text encoder and tokenizer are needed only to
 * encode a prompt or caption the image, the processor only to caption (defaults otherwise): their absence is no
 * problem until a run needs them, but a present, broken one is reported.
 */
public final class ModelCheck {
    /** The pipeline class this port implements, as {@code model_index.json} names it. */
    public static final String PIPELINE_CLASS = "QwenImageLayeredPipeline";

    /** How a component fared. */
    public enum State { OK, ABSENT, BROKEN }

    /**
     * One component's result.
     *
     * @param problem what is wrong, one line naming the file (null when OK or absent)
     * @param note    a remark that is not a failure (e.g. what an absent component would be needed for), or null
     */
    public record Component(String name, boolean required, Path dir, State state, String problem, String note) {}

    private static final Map<String, String> NEEDED_FOR = new LinkedHashMap<>();

    static {
        NEEDED_FOR.put("scheduler", "every run");
        NEEDED_FOR.put("vae", "every run");
        NEEDED_FOR.put("transformer", "every run");
        NEEDED_FOR.put("text_encoder", "prompts and captions");
        NEEDED_FOR.put("tokenizer", "prompts and captions");
        NEEDED_FOR.put("processor", "captions (Qwen2.5-VL defaults otherwise)");
    }

    private final ModelIndex index;
    private final Map<String, Component> components;

    private ModelCheck(ModelIndex index, Map<String, Component> components) {
        this.index = index;
        this.components = components;
    }

    /**
     * Checks {@code modelDir}.
     *
     * @throws ConfigException when the folder is not a Qwen-Image-Layered folder at all: no or malformed
     *     {@code model_index.json}, or another pipeline class
     */
    public static ModelCheck of(Path modelDir) throws ConfigException {
        ModelIndex index = ModelIndex.read(modelDir);
        if (!PIPELINE_CLASS.equals(index.pipelineClass())) {
            throw new ConfigException(modelDir.resolve("model_index.json") + ": the pipeline is '"
                    + index.pipelineClass() + "', not " + PIPELINE_CLASS + ": this folder holds another model");
        }
        Map<String, Component> out = new LinkedHashMap<>();
        for (String name : NEEDED_FOR.keySet()) {
            out.put(name, component(index, name));
        }
        return new ModelCheck(index, out);
    }

    private static boolean required(String name) {
        return NEEDED_FOR.get(name).equals("every run");
    }

    /**
     * The component a config's class belongs to ({@code _class_name}, or {@code architectures[0]} for
     * transformers models), e.g. {@code vae} for {@code AutoencoderKLQwenImage}; empty for classes this port does
     * not load.
     */
    public static Optional<String> componentFor(String className) {
        return Optional.ofNullable(switch (className) {
            case "FlowMatchEulerDiscreteScheduler" -> "scheduler";
            case "AutoencoderKLQwenImage" -> "vae";
            case "QwenImageTransformer2DModel" -> "transformer";
            case "Qwen2_5_VLForConditionalGeneration" -> "text_encoder";
            default -> null;
        });
    }

    /** Runs the loader's checks of component {@code name} on {@code dir}: OK with an optional note, or BROKEN. */
    public static Component checkFolder(String name, Path dir) {
        boolean required = NEEDED_FOR.containsKey(name) && required(name);
        try {
            String note = check(name, dir);
            return new Component(name, required, dir, State.OK, null, note);
        } catch (IOException | RuntimeException e) {
            String m = String.valueOf(e.getMessage()).replaceAll("\\s*[\\r\\n]+\\s*", " ").strip();
            return new Component(name, required, dir, State.BROKEN, m.contains(dir.toString()) ? m
                    : dir + ": " + m, null);
        }
    }

    private static Component component(ModelIndex index, String name) {
        boolean required = required(name);
        Path dir = index.root().resolve(name);
        if (!index.declares(name) || !index.isPresent(name)) {
            String where = !index.declares(name) ? "model_index.json does not list it"
                    : "there is no folder " + dir;
            if (required) {
                return new Component(name, true, dir, State.ABSENT, index.root() + ": component '" + name
                        + "' is missing (" + where + "); every run needs it: download the complete model", null);
            }
            return new Component(name, false, dir, State.ABSENT, null, "not present (" + where + "); needed for "
                    + NEEDED_FOR.get(name));
        }
        return checkFolder(name, dir);
    }

    /** The loaders' own checks of one component; returns a note or null. */
    private static String check(String name, Path dir) throws IOException {
        switch (name) {
            case "scheduler" -> FlowMatchSchedulerConfig.read(dir);
            case "vae" -> {
                VaeConfig config = VaeConfig.read(dir);
                try (SafetensorsWeights w = SafetensorsWeights.open(dir)) {
                    VaeLayout.check(config, w);
                }
            }
            case "transformer" -> {
                TransformerConfig config = TransformerConfig.read(dir);
                try (WeightSource w = ComfyFp8Weights.open(dir)) {
                    QwenImageTransformer.checkWeights(config, w);
                }
            }
            case "text_encoder" -> {
                Qwen25VLConfig config = Qwen25VLConfig.read(dir.resolve("config.json"));
                try (SafetensorsWeights w = SafetensorsWeights.open(dir)) {
                    Qwen2LanguageModel.checkWeights(config.text(), w);
                    try {
                        Qwen25VLModel.checkWeights(config, w);
                    } catch (IllegalArgumentException e) {
                        return "prompts only, no captions: " + e.getMessage();
                    }
                }
            }
            case "tokenizer" -> QwenTokenizer.definition(dir);
            case "processor" -> ImageProcessorConfig.read(dir);
            default -> throw new IllegalArgumentException("unknown component " + name);
        }
        return null;
    }

    /** The parsed {@code model_index.json}. */
    public ModelIndex index() {
        return index;
    }

    /** The components in pipeline order: scheduler, vae, transformer, text_encoder, tokenizer, processor. */
    public List<Component> components() {
        return List.copyOf(components.values());
    }

    public Component component(String name) {
        return components.get(name);
    }

    /** Every problem: broken components and missing required ones; empty when the model is fine. */
    public List<String> problems() {
        List<String> out = new ArrayList<>();
        for (Component c : components.values()) {
            if (c.problem() != null) {
                out.add(c.problem());
            }
        }
        return out;
    }

    /**
     * Fails unless every component a run needs (scheduler, VAE, transformer) is present and sound.
     *
     * @throws ConfigException the first problem
     */
    public void requireRunnable() throws ConfigException {
        for (Component c : components.values()) {
            if (c.required() && c.problem() != null) {
                throw new ConfigException(c.problem());
            }
        }
    }

    /**
     * Fails unless the text encoder and tokenizer are present and sound, naming exactly what is missing or broken.
     *
     * @param purpose what they are needed for, e.g. {@code "to encode the prompt"}
     * @param instead what the user can do without them, e.g. {@code "give prompt embeddings with --inputs"}
     * @throws ConfigException saying which of the two is missing or what is wrong with it
     */
    public void requireTextEncoder(String purpose, String instead) throws ConfigException {
        Component te = components.get("text_encoder");
        Component tok = components.get("tokenizer");
        for (Component c : List.of(te, tok)) {
            if (c.state() == State.BROKEN) {
                throw new ConfigException(c.problem());
            }
        }
        List<String> missing = new ArrayList<>();
        for (Component c : List.of(te, tok)) {
            if (c.state() == State.ABSENT) {
                missing.add(c.name() + "/");
            }
        }
        if (!missing.isEmpty()) {
            String what = missing.size() == 2 ? "no text encoder (text_encoder/ and tokenizer/ are missing)"
                    : "no complete text encoder (" + missing.get(0) + " is missing, "
                    + (te.state() == State.OK ? "text_encoder/" : "tokenizer/") + " is there)";
            throw new ConfigException(index.root() + ": the model has " + what + " " + purpose + "; " + instead
                    + ", or download the full model");
        }
    }
}
