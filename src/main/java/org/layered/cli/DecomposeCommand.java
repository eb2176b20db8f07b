package org.layered.cli;

import com.google.gson.JsonObject;
import org.layered.engine.Cancellation;
import org.layered.engine.ComputeDevice;
import org.layered.engine.CpuFeatures;
import org.layered.engine.DeviceChoice;
import org.layered.engine.DeviceSpec;
import org.layered.engine.Precision;
import org.layered.engine.TensorScope;
import org.layered.engine.TorchEngine;
import org.layered.export.LayerDocument;
import org.layered.export.LayerExporter;
import org.layered.export.LayerExporters;
import org.layered.export.LayerFiles;
import org.layered.export.Manifest;
import org.layered.export.OutputFolder;
import org.layered.export.PngStackWriter;
import org.layered.image.DecodedImage;
import org.layered.image.ImageFileReader;
import org.layered.image.PixelSize;
import org.layered.image.RgbaImage;
import org.layered.layers.AutoLayerCount;
import org.layered.layers.LayerStack;
import org.layered.layers.LayerTree;
import org.layered.pipeline.CpuTimeEstimate;
import org.layered.pipeline.DecomposePipeline;
import org.layered.pipeline.DecomposeSettings;
import org.layered.pipeline.DecompositionPlan;
import org.layered.pipeline.DecompositionPlanner;
import org.layered.pipeline.Decomposition;
import org.layered.pipeline.GivenInputs;
import org.layered.pipeline.MemoryMode;
import org.layered.pipeline.ProgressClock;
import org.layered.pipeline.ProgressListener;
import org.layered.pipeline.ResolutionBucket;
import org.layered.store.ModelStore;
import org.layered.store.ModelStoreException;
import org.layered.weights.residency.MemoryPlan;
import org.layered.weights.residency.WeightFormat;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** {@code layered decompose}: one image into N RGBA layer PNGs, their composite and a manifest. */
final class DecomposeCommand implements CliCommand {
    @Override
    public String name() {
        return "decompose";
    }

    @Override
    public String summary() {
        return "decompose an image into N RGBA layers";
    }

    @Override
    public String usage() {
        return """
                usage: layered decompose --model DIR --image IN.png --out OUTDIR [options]

                  --model DIR|REPO         diffusers model folder (scheduler/, vae/, transformer/, text_encoder/...)
                                           or a reference found in the Hugging Face / plugin cache
                                           (default Qwen/Qwen-Image-Layered; get it with 'layered fetch')
                  --image IN.png           image to decompose (PNG, JPEG incl. CMYK, GIF, BMP, TIFF, PGM/PPM),
                                           read as Pillow's convert("RGBA") reads it
                  --frame K                frame (page) K of a multi-frame GIF or TIFF (default 1, the first)
                  --out OUTDIR             output folder: new, empty, or a previous result (replaced as a whole);
                                           other files in it make the run stop before computing
                  --layer-of DIR:K         instead of --image: decompose layer K (1 = bottom; 2.1 for a sub-layer)
                                           of the result in DIR (its layer PNGs and manifest.json, layers.ora or
                                           layers.tif) again; OUTDIR then holds that result's layers with layer K
                                           a group of its sub-layers (PSD layer group, ORA nested stack,
                                           layer-K-1.png ..., the tree in manifest.json)
                  --layers N|auto          number of layers (default 4); auto: decompose into --max-layers, then
                                           drop layers that barely change the composite and merge near-duplicate
                                           neighbours (each decision in manifest.json)
                  --max-layers M           the most layers 'auto' decomposes into (default 8)
                  --resolution 640|1024    working-size bucket (default 640)
                  --steps S                denoising steps (default 50)
                  --cfg SCALE              true CFG scale (default 4.0; CFG runs when > 1 with a negative prompt)
                  --cfg-normalize B        true|false, rescale guided predictions per token (default true)
                  --seed S                 initial-noise seed (default: random, recorded in manifest.json)
                  --prompt TEXT            description of the whole image (default: automatic caption)
                  --negative-prompt TEXT   negative prompt (default " ")
                  --device D               auto|cpu|cuda[:i] (default auto)
                  --precision P            auto|float32|bf16 compute dtype (default auto: float32 on the CPU,
                                           bf16 on CUDA); bf16 on the CPU is an opt-in, fast on CPUs with
                                           AVX512-BF16 or AMX (convolutions stay float32 there)
                  --inputs FILE            safetensors with prompt_embeds, prompt_embeds_mask,
                                           negative_prompt_embeds, negative_prompt_embeds_mask and/or latents
                                           (packed initial noise) to use instead of computing them
                  --format LIST            output formats, comma-separated: png, ora, psd, tiff (default png)
                  --memory auto|resident   auto (default): the memory plan ('layered plan') decides which weights
                                           are device-resident, streamed from host memory or read from the file,
                                           and a run that cannot fit stops before loading, naming the nearest
                                           setting that fits; resident: every weight on the device
                  --vram-gib G             use at most G GiB of the GPU (default: its free memory)
                  --weights bf16|fp8       the transformer's linear weights as stored, or as float8 with a scale
                                           per output channel (half the memory, about twice bf16's error)

                Writes manifest.json and, per format: png: OUTDIR/layer-1.png ... layer-N.png (straight-alpha RGBA,
                layer-1 = bottom) and composite.png; ora: OUTDIR/layers.ora (OpenRaster, GIMP/Krita); psd:
                OUTDIR/layers.psd (layered Photoshop file with merged image); tiff: OUTDIR/layers.tif (ImageJ
                hyperstack, C = RGBA, Z = layers bottom to top). The input's pixel size (PNG pHYs, JPEG or TIFF
                resolution) goes into the TIFF calibration, the PSD and ORA resolution and manifest.json. The result
                is staged in a hidden folder beside OUTDIR and moved into place only when complete; a second run
                into the same OUTDIR stops at once (lock file beside it). Progress goes to stderr, with the time
                elapsed and, while denoising, the time left. Ctrl-C stops after the current step and writes nothing
                (exit 130); a second Ctrl-C quits at once.
                """;
    }

    @Override
    public Set<String> flags() {
        return Set.of("model", "image", "out", "layers", "resolution", "steps", "cfg", "cfg-normalize", "seed",
                "prompt", "negative-prompt", "device", "precision", "inputs", "format", "frame", "max-layers",
                "layer-of", "memory", "vram-gib", "weights");
    }

    /** What is decomposed: an image file, or one layer of an earlier result. */
    private record Input(RgbaImage image, PixelSize pixelSize, String source, List<String> notes,
            LayerDocument parent, Path parentDir, String path) {}

    /** {@code --layer-of DIR:K}: a saved result (folder or layer file) and the path of one of its layers. */
    record LayerRef(Path result, String path) {}

    /** Reads {@code --layer-of DIR:K}; the last colon separates the layer, so DIR may hold colons. */
    static LayerRef layerOf(String value) throws CliArgs.UsageException {
        int colon = value.lastIndexOf(':');
        if (colon <= 0 || colon == value.length() - 1) {
            throw new CliArgs.UsageException("--layer-of must be DIR:K (a result and a layer, 1 = bottom), got '"
                    + value + "'");
        }
        String path;
        try {
            path = String.join(".", LayerTree.parse(value.substring(colon + 1)));
        } catch (IllegalArgumentException e) {
            throw new CliArgs.UsageException("--layer-of: " + e.getMessage());
        }
        return new LayerRef(Path.of(value.substring(0, colon)), path);
    }

    @Override
    public int run(CliArgs args, PrintStream out, PrintStream err) throws Exception {
        if (args.has("image") == args.has("layer-of")) {
            throw new CliArgs.UsageException(args.has("image") ? "give --image or --layer-of, not both"
                    : "missing required option --image (or --layer-of DIR:K)");
        }
        LayerRef layerOf = args.has("layer-of") ? layerOf(args.required("layer-of")) : null;
        Path model = resolveModel(args.has("model") ? args.required("model") : ModelStore.defaults().defaultModel());
        Path outDir = args.path("out");
        boolean auto = args.string("layers", "").strip().equalsIgnoreCase("auto");
        if (args.has("max-layers") && !auto) {
            throw new CliArgs.UsageException("--max-layers goes with --layers auto");
        }
        DecomposeSettings settings = settings(args);
        Precision precision = precision(args);
        int frame = args.integer("frame", 1, 1, Integer.MAX_VALUE);
        List<LayerExporter> exporters;
        try {
            exporters = LayerExporters.forList(args.string("format", "png"));
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new CliArgs.UsageException(e.getMessage());
        }
        Path inputs = args.has("inputs") ? args.path("inputs") : null;
        MemoryChoice memory = MemoryChoice.of(args);
        Cancellation cancel = new Cancellation();
        try (CtrlC ctrlC = CtrlC.install(cancel, err, name())) {
            Input input = layerOf == null ? readInput(args.path("image"), frame, err)
                    : layerInput(layerOf.result(), layerOf.path());
            RgbaImage image = input.image();
            ResolutionBucket bucket = ResolutionBucket.forImage(settings.resolution(), image.width(), image.height());
            int layers = settings.layers() + (input.parent() == null ? 0 : input.parent().layerCount() - 1);
            // checked and locked before minutes of computing; the result is staged beside it
            try (OutputFolder folder = OutputFolder.claim(outDir, OutputFolder.estimatedBytes(exporters, layers,
                    Math.max(bucket.width(), image.width()), Math.max(bucket.height(), image.height())))) {
                cancel.check();
                Result r = decompose(model, input, settings, precision, auto, inputs, memory, folder, exporters, err,
                        cancel);
                Decomposition d = r.decomposition();
                String what = input.parent() == null ? d.stack().size() + " layers"
                        : d.stack().size() + " sub-layers of layer " + input.path();
                out.printf(Locale.ROOT, "wrote %s (%dx%d) to %s; composite error %.2f/255 mean, PSNR %.1f dB%s%n",
                        what, d.bucket().width(), d.bucket().height(), folder.path(),
                        d.stack().compositeError().meanAbs(), d.stack().compositeError().psnr(),
                        r.auto() == null ? "" : "; automatic count: " + r.auto().layers().size() + " of "
                                + r.auto().decisions().size() + " layers kept");
                return 0;
            }
        } catch (Cancellation.CancelledException e) {
            err.println("layered decompose: cancelled; nothing written");
            return 130;
        }
    }

    /** A run's result: the decomposition as saved, and the automatic count's decisions (null when not auto). */
    private record Result(Decomposition decomposition, AutoLayerCount.Result auto) {}

    /** The memory flags: {@code --memory}, {@code --vram-gib}, {@code --weights}. */
    record MemoryChoice(MemoryMode mode, Long vramCap, WeightFormat weights) {
        static MemoryChoice of(CliArgs args) throws CliArgs.UsageException {
            try {
                return new MemoryChoice(MemoryMode.parse(args.string("memory", "auto")),
                        PlanCommand.gib(args, "vram-gib"), WeightFormat.parse(args.string("weights", "bf16")));
            } catch (IllegalArgumentException e) {
                throw new CliArgs.UsageException(e.getMessage());
            }
        }
    }

    /** Runs the pipeline and saves its result with a manifest that says where the input came from. */
    private static Result decompose(Path model, Input input, DecomposeSettings settings, Precision requested,
            boolean auto, Path inputs, MemoryChoice memory, OutputFolder folder, List<LayerExporter> exporters,
            PrintStream err, Cancellation cancel) throws IOException {
        RgbaImage image = input.image();
        DeviceChoice choice = TorchEngine.get().choose(settings.device());
        ComputeDevice device = choice.device();
        err.println("[layered] device " + choice.summary());
        Precision precision = Precision.of(requested, device);
        if (precision == Precision.BFLOAT16 && !device.isCuda()) {
            err.println("[layered] " + CpuFeatures.current().bf16ComputeNote());
        }
        if (!device.isCuda()) {
            CpuTimeEstimate slow = CpuTimeEstimate.of(model, image.width(), image.height(), settings, precision);
            if (slow != null && slow.slow()) {
                err.println("[layered] warning: " + slow.message());
            }
        }
        try (TensorScope scope = TensorScope.open()) {
            GivenInputs given = inputs != null ? GivenInputs.read(inputs, device) : GivenInputs.NONE;
            DecompositionPlan plan = DecompositionPlanner.plan(model, image.width(), image.height(), settings,
                    given, memory.weights(), memory.mode(), memory.vramCap(), device, precision, false);
            err.println("[layered] memory: " + plan.summary());
            if (plan.plan().verdict() == MemoryPlan.Verdict.DOES_NOT_FIT && memory.mode() == MemoryMode.AUTO) {
                throw new IOException("this run does not fit the memory there is: "
                        + plan.verdictLine().substring("verdict: does not fit (".length(),
                        plan.verdictLine().length() - 1) + " ('layered plan' shows the stages; --memory resident "
                        + "runs it anyway)");
            }
            try (DecomposePipeline pipeline = DecomposePipeline.open(model, device, precision, plan, null)) {
                Decomposition d = pipeline.run(image, settings, given, new StderrProgress(err), cancel);
                AutoLayerCount.Result counted = null;
                if (auto) {
                    err.println("[layered] automatic layer count");
                    counted = AutoLayerCount.reduce(d.stack().layers());
                    d = d.withStack(LayerStack.of(counted.layers(), d.input()));
                    for (AutoLayerCount.Decision x : counted.decisions()) {
                        err.println("[layered]   layer " + x.layer() + ": " + x.reason());
                    }
                }
                LayerDocument doc = document(input, d);
                boolean png = exporters.stream().anyMatch(e -> e.format().equals("png"));
                // layers_bottom_to_top: the PNG files when written, else the layer names in the layered documents
                List<String> order = png ? PngStackWriter.layerFiles(doc.tree()) : doc.leafNames();
                JsonObject manifest = Manifest.of(d, model, device.toString(), precision.name(), order);
                Manifest.deviceChoice(manifest, choice.summary());
                manifest.add("memory_plan", plan.toJson());
                manifest.addProperty("source", input.source());
                if (!input.notes().isEmpty()) {
                    manifest.addProperty("conversion", String.join("; ", input.notes()));
                }
                if (counted != null) {
                    Manifest.autoLayers(manifest, settings.layers(), counted);
                }
                if (input.parent() != null) {
                    Manifest.layerOf(manifest, input.parentDir(), input.path(),
                            input.parent().tree().node(input.path()).name());
                }
                Manifest.layerTree(manifest, doc.tree(), png);
                Manifest.pixelSize(manifest, doc.pixelSize());
                folder.write(doc, exporters, manifest, cancel);
                return new Result(d, counted);
            }
        }
    }

    /**
     * What is saved: the layers at the working size with the input's pixel size scaled to it; for a layer of an
     * earlier result, that result's layers with the layer a group of its sub-layers (resampled to the result's size
     * when the working size differs).
     */
    private static LayerDocument document(Input input, Decomposition d) {
        LayerStack stack = d.stack();
        if (input.parent() == null) {
            PixelSize p = input.pixelSize() == null ? null : input.pixelSize().scaled(
                    (double) input.image().width() / d.bucket().width(),
                    (double) input.image().height() / d.bucket().height());
            return LayerDocument.of(stack, null).withPixelSize(p);
        }
        return LayerDocument.nested(input.parent(), input.path(), stack.layers());
    }

    private static Input readInput(Path file, int frame, PrintStream err) throws IOException,
            CliArgs.UsageException {
        DecodedImage d = readImage(file, frame, err);
        return new Input(d.image(), d.pixelSize(), source(file, d), d.notes(), null, null, null);
    }

    /** Layer {@code path} of the result in {@code dir}, with its transparency. */
    private static Input layerInput(Path dir, String path) throws IOException, CliArgs.UsageException {
        LayerDocument parent = LayerFiles.read(dir);
        LayerTree.Node node;
        try {
            node = parent.tree().node(path);
        } catch (IllegalArgumentException e) {
            throw new CliArgs.UsageException("--layer-of: " + e.getMessage());
        }
        if (!(node instanceof LayerTree.Leaf leaf)) {
            throw new CliArgs.UsageException("--layer-of: layer " + path + " of " + dir + " was decomposed already; "
                    + "give one of its sub-layers (" + path + ".1, ...)");
        }
        String source = "layer " + path + " (" + leaf.name() + ") of " + dir.toAbsolutePath().normalize() + ", "
                + leaf.image().width() + "x" + leaf.image().height() + " RGBA";
        return new Input(leaf.image(), parent.pixelSize(), source, List.of(), parent, dir, path);
    }

    /**
     * Reads frame {@code frame} of the input as Pillow would, saying on stderr what the reading changed.
     *
     * @throws CliArgs.UsageException when the file has no such frame
     */
    static DecodedImage readImage(Path file, int frame, PrintStream err) throws IOException, CliArgs.UsageException {
        DecodedImage d;
        try {
            d = ImageFileReader.read(file, frame);
        } catch (IllegalArgumentException e) {
            throw new CliArgs.UsageException("--frame: " + e.getMessage());
        }
        for (String note : d.notes()) {
            err.println("[layered] " + file.getFileName() + ": " + note
                    + (note.startsWith("frame 1 of") ? " (--frame K takes another)" : ""));
        }
        return d;
    }

    /** Where the input came from, for the manifest. */
    static String source(Path file, DecodedImage d) {
        return file.toAbsolutePath().normalize() + (d.frames() > 1 ? " frame " + d.frame() + " of " + d.frames()
                : "") + ", " + d.image().width() + "x" + d.image().height() + ", " + d.format();
    }

    /**
     * An existing folder is used as it is (a run may not need every component); anything else is a model reference
     * looked up in the Hugging Face and plugin caches, never downloaded here.
     */
    static Path resolveModel(String ref) throws ModelStoreException {
        Path folder = Path.of(ref);
        if (Files.isDirectory(folder)) {
            return folder;
        }
        return ModelStore.defaults().resolve(ref).root();
    }

    /** {@code --precision}: null for auto (the device's default). */
    static Precision precision(CliArgs args) throws CliArgs.UsageException {
        try {
            return Precision.parseRequest(args.string("precision", "auto"));
        } catch (IllegalArgumentException e) {
            throw new CliArgs.UsageException("--precision: " + e.getMessage());
        }
    }

    static DecomposeSettings settings(CliArgs args) throws CliArgs.UsageException {
        DecomposeSettings d = DecomposeSettings.defaults();
        try {
            String normalize = args.string("cfg-normalize", "true").trim().toLowerCase(Locale.ROOT);
            if (!normalize.equals("true") && !normalize.equals("false")) {
                throw new CliArgs.UsageException("--cfg-normalize must be true or false, got '" + normalize + "'");
            }
            Long seed = args.has("seed") ? args.longInteger("seed", 0, Long.MAX_VALUE) : null;
            double cfg;
            try {
                cfg = Double.parseDouble(args.string("cfg", String.valueOf(d.cfgScale())).trim());
            } catch (NumberFormatException e) {
                throw new CliArgs.UsageException("--cfg must be a number, got '" + args.string("cfg", "") + "'");
            }
            boolean auto = args.string("layers", "").strip().equalsIgnoreCase("auto");
            int layers = auto ? args.integer("max-layers", AutoLayerCount.DEFAULT_MAX_LAYERS, 1,
                    DecomposeSettings.MAX_LAYERS) : args.integer("layers", d.layers(), 1, DecomposeSettings.MAX_LAYERS);
            return new DecomposeSettings(layers,
                    args.integer("resolution", d.resolution(), 640, 1024),
                    args.integer("steps", d.steps(), 1, 1000),
                    cfg, Boolean.parseBoolean(normalize), seed,
                    args.string("prompt", null), args.string("negative-prompt", d.negativePrompt()),
                    DeviceSpec.parse(args.string("device", "auto")));
        } catch (IllegalArgumentException e) {
            throw new CliArgs.UsageException(e.getMessage());
        }
    }

    /** One line per stage and per step on stderr, with the time elapsed and, while denoising, the time left. */
    private static final class StderrProgress implements ProgressListener {
        private final PrintStream err;
        private final ProgressClock clock = new ProgressClock();

        StderrProgress(PrintStream err) {
            this.err = err;
        }

        @Override
        public void stage(String name) {
            clock.stage();
            err.println("[layered] " + name + " (" + clock.elapsedText() + ")");
        }

        @Override
        public void step(int step, int total) {
            double took = clock.step(step, total);
            err.printf(Locale.ROOT, "[layered] %s (%.2f s)%n", clock.stepText(step, total), took);
        }
    }

}
