package org.layered.fiji;

import org.layered.engine.DeviceMenu;
import org.layered.engine.DeviceSpec;
import org.layered.engine.Precision;
import org.layered.export.LayerExporter;
import org.layered.export.LayerExporters;
import org.layered.layers.AutoLayerCount;
import org.layered.pipeline.DecomposeSettings;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Everything a user sets for one decomposition, under the keys shared by the macro language
 * ({@code run("Decompose...", "layers=4 steps=50 ...")}), the ImageJ 1.x dialog, the SciJava command's parameters
 * (same names) and the batch command. Defaults are the official ones (4 layers, 640, 50 steps, CFG 4 with
 * normalisation, negative prompt " ").
 *
 * @param model        model folder or model id; blank = the default model from the model store
 * @param layers       number of RGBA layers (1..20) when not automatic
 * @param resolution   640 or 1024
 * @param steps        denoising steps
 * @param cfg          true CFG scale (CFG runs when > 1)
 * @param cfgNormalize rescale the guided prediction (upstream {@code cfg_normalize})
 * @param seed         initial-noise seed; blank = random (the seed used is recorded)
 * @param prompt       description of the whole image; blank = automatic caption
 * @param negative     negative prompt; blank = upstream's default " "
 * @param device       auto, cpu, cuda or cuda:N (a device list label counts by its key)
 * @param inputs       optional safetensors file with prompt_embeds (etc.) used instead of encoding the prompt
 * @param hyperstack   show the layers as one C=4 x Z=N hyperstack
 * @param layerImages  also show each layer as an RGB image (alpha as an overlay) and the recomposed image
 * @param originalSize resample the layers to the input's size (premultiplied) instead of the working size
 * @param output       folder to save into (one sub-folder per image); blank = do not save
 * @param formats      comma-separated export formats: png, ora, psd, tiff
 * @param autoLayers   {@code layers=auto}: decompose into {@code maxLayers} and keep the layers that matter
 *                     ({@link AutoLayerCount})
 * @param maxLayers    the most layers an automatic count decomposes into
 * @param rois         add each layer's region (alpha &ge; 128) to the ROI Manager as {@code layer-k} and its
 *                     outline to the input image's overlay
 * @param memory       the memory keys ({@link MemoryOptions}: memory, vram_gib, weights)
 * @param precision    compute dtype: auto (float32 on the CPU, bf16 on CUDA), float32 or bf16 ({@link Precision})
 */
public record DecomposeOptions(String model, int layers, int resolution, int steps, double cfg,
        boolean cfgNormalize, String seed, String prompt, String negative, String device, String inputs,
        boolean hyperstack, boolean layerImages, boolean originalSize, String output, String formats,
        boolean autoLayers, int maxLayers, boolean rois, MemoryOptions memory, String precision) {

    public static final String MODEL = "model";
    public static final String LAYERS = "layers";
    public static final String RESOLUTION = "resolution";
    public static final String STEPS = "steps";
    public static final String CFG = "cfg";
    public static final String CFG_NORMALIZE = "cfg_normalize";
    public static final String SEED = "seed";
    public static final String PROMPT = "prompt";
    /** Not "negative_prompt": {@code Macro.getValue} (used by Fiji for SciJava commands) would match "prompt=" in it. */
    public static final String NEGATIVE = "negative";
    public static final String DEVICE = "device";
    public static final String PRECISION = "precision";
    public static final String INPUTS = "inputs";
    public static final String HYPERSTACK = "hyperstack";
    public static final String LAYER_IMAGES = "layer_images";
    public static final String ORIGINAL_SIZE = "original_size";
    public static final String OUTPUT = "output";
    public static final String FORMATS = "formats";
    /** The value of {@link #LAYERS} for the automatic layer count. */
    public static final String AUTO = "auto";
    public static final String MAX_LAYERS = "max_layers";
    public static final String ROIS = "rois";

    /** Every key, in the order they are recorded. */
    public static final List<String> KEYS;

    static {
        List<String> keys = new ArrayList<>(List.of(MODEL, LAYERS, RESOLUTION, STEPS, CFG, CFG_NORMALIZE, SEED,
                PROMPT, NEGATIVE, DEVICE, PRECISION, INPUTS, HYPERSTACK, LAYER_IMAGES, ORIGINAL_SIZE, OUTPUT, FORMATS,
                MAX_LAYERS, ROIS));
        keys.addAll(MemoryOptions.KEYS);
        KEYS = List.copyOf(keys);
    }

    public DecomposeOptions {
        model = clean(model);
        seed = clean(seed);
        prompt = prompt == null ? "" : prompt;
        negative = negative == null ? "" : negative;
        // a device list entry ("cuda:0 (NVIDIA H100 ..., 79.2 GiB)") counts by its key
        device = clean(device).isEmpty() ? "auto" : DeviceMenu.keyPart(device);
        precision = clean(precision).isEmpty() ? "auto" : clean(precision).toLowerCase(Locale.ROOT);
        inputs = clean(inputs);
        output = clean(output);
        formats = clean(formats).isEmpty() ? "png" : clean(formats).toLowerCase(Locale.ROOT);
        if (maxLayers < 1 || maxLayers > DecomposeSettings.MAX_LAYERS) {
            throw new IllegalArgumentException(MAX_LAYERS + " must be between 1 and " + DecomposeSettings.MAX_LAYERS
                    + ", got " + maxLayers);
        }
        memory = memory == null ? MemoryOptions.defaults() : memory;
    }

    /** Options computing in the device's precision. */
    public DecomposeOptions(String model, int layers, int resolution, int steps, double cfg, boolean cfgNormalize,
            String seed, String prompt, String negative, String device, String inputs, boolean hyperstack,
            boolean layerImages, boolean originalSize, String output, String formats, boolean autoLayers,
            int maxLayers, boolean rois, MemoryOptions memory) {
        this(model, layers, resolution, steps, cfg, cfgNormalize, seed, prompt, negative, device, inputs, hyperstack,
                layerImages, originalSize, output, formats, autoLayers, maxLayers, rois, memory, "auto");
    }

    /** Options with the default memory keys (auto, no cap, bf16). */
    public DecomposeOptions(String model, int layers, int resolution, int steps, double cfg, boolean cfgNormalize,
            String seed, String prompt, String negative, String device, String inputs, boolean hyperstack,
            boolean layerImages, boolean originalSize, String output, String formats, boolean autoLayers,
            int maxLayers, boolean rois) {
        this(model, layers, resolution, steps, cfg, cfgNormalize, seed, prompt, negative, device, inputs, hyperstack,
                layerImages, originalSize, output, formats, autoLayers, maxLayers, rois, MemoryOptions.defaults());
    }

    /** Options with a fixed layer count and no ROIs (the automatic count's maximum at its default). */
    public DecomposeOptions(String model, int layers, int resolution, int steps, double cfg, boolean cfgNormalize,
            String seed, String prompt, String negative, String device, String inputs, boolean hyperstack,
            boolean layerImages, boolean originalSize, String output, String formats) {
        this(model, layers, resolution, steps, cfg, cfgNormalize, seed, prompt, negative, device, inputs, hyperstack,
                layerImages, originalSize, output, formats, false, AutoLayerCount.DEFAULT_MAX_LAYERS, false);
    }

    private static String clean(String s) {
        return s == null ? "" : s.strip();
    }

    /** The official defaults, showing the hyperstack and saving nothing. */
    public static DecomposeOptions defaults() {
        DecomposeSettings d = DecomposeSettings.defaults();
        return new DecomposeOptions("", d.layers(), d.resolution(), d.steps(), d.cfgScale(), d.cfgNormalize(), "",
                "", "", "auto", "", true, false, false, "", "png");
    }

    /**
     * Reads the options from a macro option string, taking {@code base} for every key that is absent.
     *
     * @throws IllegalArgumentException naming the key, for a malformed value
     */
    public static DecomposeOptions parse(MacroOptions o, DecomposeOptions base) {
        boolean auto = o.has(LAYERS) ? o.string(LAYERS, "").strip().equalsIgnoreCase(AUTO) : base.autoLayers();
        return new DecomposeOptions(
                o.string(MODEL, base.model()),
                auto ? base.layers() : o.integer(LAYERS, base.layers(), 1, DecomposeSettings.MAX_LAYERS),
                resolution(o.string(RESOLUTION, String.valueOf(base.resolution()))),
                o.integer(STEPS, base.steps(), 1, 1000),
                o.number(CFG, base.cfg()),
                o.bool(CFG_NORMALIZE, base.cfgNormalize()),
                o.string(SEED, base.seed()),
                o.string(PROMPT, base.prompt()),
                o.string(NEGATIVE, base.negative()),
                o.string(DEVICE, base.device()),
                o.string(INPUTS, base.inputs()),
                o.bool(HYPERSTACK, base.hyperstack()),
                o.bool(LAYER_IMAGES, base.layerImages()),
                o.bool(ORIGINAL_SIZE, base.originalSize()),
                o.string(OUTPUT, base.output()),
                o.string(FORMATS, base.formats()),
                auto,
                o.integer(MAX_LAYERS, base.maxLayers(), 1, DecomposeSettings.MAX_LAYERS),
                o.bool(ROIS, base.rois()),
                MemoryOptions.parse(o, base.memory()),
                o.string(PRECISION, base.precision()));
    }

    /** {@link #parse(MacroOptions, DecomposeOptions)} over the defaults. */
    public static DecomposeOptions parse(String macroOptions) {
        return parse(MacroOptions.parse(macroOptions), defaults());
    }

    /** @throws IllegalArgumentException for anything other than 640 or 1024 */
    public static int resolution(String text) {
        String t = text == null ? "" : text.strip();
        if (t.equals("640") || t.equals("1024")) {
            return Integer.parseInt(t);
        }
        throw new IllegalArgumentException("resolution must be 640 or 1024, got '" + t + "'");
    }

    /**
     * The pipeline settings, validated.
     *
     * @param seedOverride a seed to use instead of {@link #seed()} (batch: one fixed seed for every image), or null
     * @throws IllegalArgumentException with a message for the user
     */
    public DecomposeSettings settings(Long seedOverride) {
        Long s = seedOverride != null ? seedOverride : parsedSeed();
        return new DecomposeSettings(autoLayers ? maxLayers : layers, resolution, steps, cfg, cfgNormalize, s,
                prompt.isBlank() ? null : prompt, negative.isEmpty() ? " " : negative, DeviceSpec.parse(device));
    }

    /**
     * The compute precision asked for, or null for {@code auto} (the device's default).
     *
     * @throws IllegalArgumentException naming the accepted values
     */
    public Precision precisionRequest() {
        return Precision.parseRequest(precision);
    }

    /** The seed given, or null for a random one. @throws IllegalArgumentException for a malformed seed */
    public Long parsedSeed() {
        if (seed.isEmpty()) {
            return null;
        }
        try {
            long v = Long.parseLong(seed);
            if (v < 0) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            if (seed.matches("\\+?\\d+")) {
                throw new IllegalArgumentException("seed is out of range: at most " + Long.MAX_VALUE + ", got '"
                        + seed + "'");
            }
            throw new IllegalArgumentException("seed must be blank (random) or a whole number >= 0, got '" + seed
                    + "'");
        }
    }

    /** The export formats, checked; empty when nothing is saved. */
    public List<LayerExporter> exporters() {
        if (output.isEmpty()) {
            return List.of();
        }
        return LayerExporters.forList(formats);
    }

    /** The prompt-embeddings file, or null. */
    public Path inputsFile() {
        return inputs.isEmpty() ? null : Path.of(inputs);
    }

    /** Checks every value without running anything. @throws IllegalArgumentException with a message for the user */
    public DecomposeOptions validate() {
        settings(null);
        precisionRequest();
        exporters();
        memory.validate();
        return this;
    }

    public DecomposeOptions withSeed(String s) {
        return new DecomposeOptions(model, layers, resolution, steps, cfg, cfgNormalize, s, prompt, negative, device,
                inputs, hyperstack, layerImages, originalSize, output, formats, autoLayers, maxLayers, rois, memory,
                precision);
    }

    public DecomposeOptions withDisplay(boolean showHyperstack, boolean showLayerImages) {
        return new DecomposeOptions(model, layers, resolution, steps, cfg, cfgNormalize, seed, prompt, negative,
                device, inputs, showHyperstack, showLayerImages, originalSize, output, formats, autoLayers, maxLayers,
                rois, memory, precision);
    }

    public DecomposeOptions withOutput(String folder, String formatList) {
        return new DecomposeOptions(model, layers, resolution, steps, cfg, cfgNormalize, seed, prompt, negative,
                device, inputs, hyperstack, layerImages, originalSize, folder, formatList, autoLayers, maxLayers, rois,
                memory, precision);
    }

    /** The same with the layer count: a number, or {@link #AUTO} with the largest count {@code max}. */
    public DecomposeOptions withLayerCount(String count, int max) {
        boolean auto = count.strip().equalsIgnoreCase(AUTO);
        int n = layers;
        if (!auto) {
            n = MacroOptions.parse(MacroOptions.item(LAYERS, count.strip())).integer(LAYERS, layers, 1,
                    DecomposeSettings.MAX_LAYERS);
        }
        return new DecomposeOptions(model, n, resolution, steps, cfg, cfgNormalize, seed, prompt, negative, device,
                inputs, hyperstack, layerImages, originalSize, output, formats, auto, max, rois, memory, precision);
    }

    public DecomposeOptions withMemory(MemoryOptions m) {
        return new DecomposeOptions(model, layers, resolution, steps, cfg, cfgNormalize, seed, prompt, negative,
                device, inputs, hyperstack, layerImages, originalSize, output, formats, autoLayers, maxLayers, rois, m,
                precision);
    }

    /** The layer count as the dialogs and macros write it: a number, or {@link #AUTO}. */
    public String layerCount() {
        return autoLayers ? AUTO : String.valueOf(layers);
    }

    /**
     * The option string that reproduces these options with {@code run("Decompose...", ...)}: every key, booleans as
     * {@code key=true|false} and empty values as {@code key=[]}, the forms Fiji's recorder uses for SciJava commands.
     * Every key is written because Fiji shows the command's dialog for any key a macro leaves out.
     */
    public String toMacroString() {
        List<String> items = new ArrayList<>();
        items.add(MacroOptions.item(MODEL, model));
        items.add(MacroOptions.item(LAYERS, layerCount()));
        items.add(MacroOptions.item(RESOLUTION, String.valueOf(resolution)));
        items.add(MacroOptions.item(STEPS, String.valueOf(steps)));
        items.add(MacroOptions.item(CFG, number(cfg)));
        items.add(MacroOptions.item(CFG_NORMALIZE, String.valueOf(cfgNormalize)));
        items.add(MacroOptions.item(SEED, seed));
        items.add(MacroOptions.item(PROMPT, prompt));
        items.add(MacroOptions.item(NEGATIVE, negative));
        items.add(MacroOptions.item(DEVICE, device));
        items.add(MacroOptions.item(PRECISION, precision));
        items.add(MacroOptions.item(INPUTS, inputs));
        items.add(MacroOptions.item(HYPERSTACK, String.valueOf(hyperstack)));
        items.add(MacroOptions.item(LAYER_IMAGES, String.valueOf(layerImages)));
        items.add(MacroOptions.item(ORIGINAL_SIZE, String.valueOf(originalSize)));
        items.add(MacroOptions.item(OUTPUT, output));
        items.add(MacroOptions.item(FORMATS, formats));
        items.add(MacroOptions.item(MAX_LAYERS, String.valueOf(maxLayers)));
        items.add(MacroOptions.item(ROIS, String.valueOf(rois)));
        items.addAll(memory.macroItems());
        return String.join(" ", items);
    }

    static String number(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? String.valueOf((long) v) : String.valueOf(v);
    }
}
