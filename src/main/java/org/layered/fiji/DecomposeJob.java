package org.layered.fiji;

import com.google.gson.JsonObject;
import ij.ImagePlus;
import ij.measure.Calibration;
import org.layered.export.LayerDocument;
import org.layered.export.LayerExporter;
import org.layered.export.Manifest;
import org.layered.export.OutputFolder;
import org.layered.export.PngStackWriter;
import org.layered.image.LanczosResize;
import org.layered.image.PixelSize;
import org.layered.image.RgbaImage;
import org.layered.layers.AutoLayerCount;
import org.layered.layers.LayerStack;
import org.layered.engine.Cancellation;
import org.layered.pipeline.DecomposeSettings;
import org.layered.pipeline.Decomposition;
import org.layered.pipeline.ProgressListener;
import org.layered.pipeline.ResolutionBucket;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One decomposition as the ImageJ front ends do it, shared by the ImageJ 1.x plugin, the SciJava command and the
 * batch: options checked first (before minutes of work), the plane decomposed, the layers resampled to the input's
 * size if asked, the result images, Info and Results rows built, and the formats saved. Showing windows is left to
 * the caller.
 */
public final class DecomposeJob {
    /** Order in which the pipeline's stage timings are reported. */
    private static final List<String> STAGES = List.of("preprocess", "caption", "encode prompt", "encode image", "noise",
            "denoise", "decode layers", "composite");

    /** The command's name in macros (its menu label). */
    public static final String MENU_LABEL = "Decompose...";
    /** The name of the command that decomposes a layer of a result again. */
    public static final String LAYER_MENU_LABEL = "Decompose Layer...";

    private final DecomposeOptions options;
    private final Decomposer decomposer;
    private final Consumer<String> log;

    /**
     * @param log receives the lines worth keeping (conversions, where results were saved); one line each
     */
    public DecomposeJob(DecomposeOptions options, Decomposer decomposer, Consumer<String> log) {
        this.options = options;
        this.decomposer = decomposer;
        this.log = log;
    }

    /**
     * What a run produced.
     *
     * @param output      the layers as shown and saved: at the working size, or resampled to the input's size
     * @param calibration the calibration of {@code output}
     * @param hyperstack  the layer hyperstack, or null when not asked for
     * @param layerImages per-layer RGB images (empty when not asked for)
     * @param recomposed  the recomposed RGB image, or null when not asked for
     * @param savedTo     the folder the formats went to, or null
     * @param saveError   why saving failed (one line naming the file and the cause), or null; the result is
     *                    complete either way and should be shown
     * @param auto        what the automatic layer count kept, dropped and merged, or null for a fixed count
     */
    public record Outcome(ImageConversion.InputPlane input, Decomposer.Run run, LayerStack output,
            List<LayerStats> stats, String info, Calibration calibration, ImagePlus hyperstack,
            List<ImagePlus> layerImages, ImagePlus recomposed, Path savedTo, String saveError,
            AutoLayerCount.Result auto) {
        public Decomposition decomposition() {
            return run.decomposition();
        }

        /** The title of the hyperstack: {@code <name>-layers}. */
        public String title() {
            return input.name() + "-layers";
        }
    }

    /** Checks the options; to be called before anything slow. @throws DecomposeException for bad values */
    public DecomposeSettings checkedSettings(Long seedOverride) throws DecomposeException {
        try {
            DecomposeSettings s = options.settings(seedOverride);
            options.exporters();
            return s;
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new DecomposeException(Messages.forImageJ(e.getMessage()), e);
        }
    }

    /**
     * A layer of an earlier result decomposed again (recursive decomposition): the result's layers, and the path of
     * the layer. What is saved is that result with the layer a group of its sub-layers.
     */
    public record Nesting(LayerDocument parent, String path) {
        /** The layer's Z position in the result's hyperstack (1 = bottom). */
        public int z() {
            List<org.layered.layers.LayerTree.PathLeaf> leaves = parent.leaves();
            for (int i = 0; i < leaves.size(); i++) {
                if (leaves.get(i).path().equals(path)) {
                    return i + 1;
                }
            }
            throw new IllegalArgumentException("there is no layer " + path);
        }
    }

    /** Decomposes {@code input}, saving into {@code <output>/<input name>/} when an output folder is set. */
    public Outcome run(ImageConversion.InputPlane input, ProgressListener progress, Cancellation cancel)
            throws DecomposeException {
        return run(input, null, progress, cancel);
    }

    /** The same for a layer of an earlier result ({@code nesting}, or null for a plain image). */
    public Outcome run(ImageConversion.InputPlane input, Nesting nesting, ProgressListener progress,
            Cancellation cancel) throws DecomposeException {
        Path dir = options.output().isEmpty() ? null : Path.of(options.output()).resolve(input.name());
        return run(input, null, dir, nesting, progress, cancel);
    }

    /**
     * Decomposes {@code input}. The save folder is claimed (locked, checked for writability and free space) before
     * anything is computed; a failure to save afterwards does not lose the result: it is returned with
     * {@link Outcome#saveError()} saying what could not be saved and why.
     *
     * @param seedOverride a seed instead of the options' one, or null
     * @param saveDir      the folder to save the formats into, or null for none
     * @throws DecomposeException for bad options or an output folder that cannot take the result
     */
    public Outcome run(ImageConversion.InputPlane input, Long seedOverride, Path saveDir, ProgressListener progress,
            Cancellation cancel) throws DecomposeException {
        return run(input, seedOverride, saveDir, null, progress, cancel);
    }

    private Outcome run(ImageConversion.InputPlane input, Long seedOverride, Path saveDir, Nesting nesting,
            ProgressListener progress, Cancellation cancel) throws DecomposeException {
        DecomposeSettings settings = checkedSettings(seedOverride);
        List<LayerExporter> exporters = saveDir == null ? List.of() : exporters();
        try (OutputFolder folder = saveDir == null ? null : claim(saveDir, exporters, settings, input, nesting)) {
            return run(input, settings, folder, exporters, nesting, progress, cancel);
        }
    }

    /** The save folder, checked before computing; sized for the output the options ask for. */
    private OutputFolder claim(Path saveDir, List<LayerExporter> exporters, DecomposeSettings settings,
            ImageConversion.InputPlane input, Nesting nesting) throws DecomposeException {
        int w = input.width();
        int h = input.height();
        int layers = settings.layers() + (nesting == null ? 0 : nesting.parent().layerCount() - 1);
        if (!options.originalSize() && nesting == null) {
            try {
                ResolutionBucket b = ResolutionBucket.forImage(settings.resolution(), w, h);
                w = b.width();
                h = b.height();
            } catch (IllegalArgumentException e) {
                throw new DecomposeException(Messages.forImageJ(e.getMessage()), e);
            }
        }
        try {
            return OutputFolder.claim(saveDir, OutputFolder.estimatedBytes(exporters, layers, w, h));
        } catch (IOException e) {
            throw new DecomposeException("cannot save there, so nothing was computed: " + Messages.forImageJ(e), e);
        }
    }

    private Outcome run(ImageConversion.InputPlane input, DecomposeSettings settings, OutputFolder folder,
            List<LayerExporter> exporters, Nesting nesting, ProgressListener progress, Cancellation cancel)
            throws DecomposeException {
        Citation.logOnce(log);
        if (!input.conversion().isEmpty()) {
            log.accept("Layered: " + input.name() + ": " + input.conversion());
        }
        long start = System.nanoTime();
        Decomposer.Run run = decomposer.decompose(input.image(), options, settings, progress, cancel);
        cancel.check();
        AutoLayerCount.Result auto = null;
        if (options.autoLayers()) {
            progress.stage("automatic layer count");
            Decomposition d = run.decomposition();
            auto = AutoLayerCount.reduce(d.stack().layers());
            run = run.withDecomposition(d.withStack(LayerStack.of(auto.layers(), d.input())));
            log.accept("Layered: " + input.name() + ": automatic layer count: " + auto.layers().size() + " of "
                    + auto.decisions().size() + " layers kept");
            for (AutoLayerCount.Decision x : auto.decisions()) {
                log.accept("Layered:   decomposed layer " + x.layer() + ": " + x.reason());
            }
            cancel.check();
        }
        Decomposition d = run.decomposition();

        LayerStack output = d.stack();
        if (options.originalSize() && (d.bucket().width() != input.width()
                || d.bucket().height() != input.height())) {
            progress.stage("resample to input size");
            List<RgbaImage> resized = new ArrayList<>();
            for (RgbaImage layer : d.stack().layers()) {
                resized.add(LanczosResize.resize(layer, input.width(), input.height()));
            }
            output = LayerStack.of(resized, input.image());
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        int outW = output.layers().get(0).width();
        int outH = output.layers().get(0).height();
        Calibration cal = ResultImages.scaled(input.calibration(), input.width(), input.height(), outW, outH);
        List<LayerStats> stats = LayerStats.of(output.layers());
        String info = info(input, run, output, seconds, auto, cal, nesting);
        String title = input.name() + "-layers";

        ImagePlus hyperstack = options.hyperstack() ? ResultImages.hyperstack(output, title, cal, info,
                properties(input, run, output)) : null;
        List<ImagePlus> layerImages = options.layerImages() ? ResultImages.layerImages(output, input.name(), cal)
                : List.of();
        ImagePlus recomposed = options.layerImages() ? ResultImages.recomposed(output, input.name() + "-recomposed",
                cal) : null;

        Path saved = null;
        String saveError = null;
        if (folder != null) {
            cancel.check();
            progress.stage("save");
            try {
                LayerDocument document = nesting == null
                        ? LayerDocument.of(output, null).withPixelSize(pixelSize(cal))
                        : LayerDocument.nested(nesting.parent(), nesting.path(), output.layers());
                folder.write(document, exporters, manifest(input, run, output, document, auto, nesting), cancel);
                saved = folder.path();
                log.accept("Layered: " + input.name() + ": saved " + options.formats() + " to " + saved);
            } catch (Cancellation.CancelledException e) {
                throw e;
            } catch (IOException | RuntimeException e) {
                saveError = "the result was not saved: " + Messages.forImageJ(e);
                log.accept("Layered: " + input.name() + ": " + saveError);
            }
        }
        return new Outcome(input, run, output, stats, info, cal, hyperstack, layerImages, recomposed, saved,
                saveError, auto);
    }

    /** The pixel size of a calibration, or null when it is uncalibrated. */
    static PixelSize pixelSize(Calibration cal) {
        return cal != null && cal.scaled() ? new PixelSize(cal.pixelWidth, cal.pixelHeight, cal.getUnit()) : null;
    }

    private List<LayerExporter> exporters() throws DecomposeException {
        try {
            return options.exporters();
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new DecomposeException(e.getMessage(), e);
        }
    }

    /**
     * The manifest of a saved result: the pipeline's, plus where the input came from, the output size, the layer
     * tree and pixel size, and the automatic count's decisions.
     */
    JsonObject manifest(ImageConversion.InputPlane input, Decomposer.Run run, LayerStack output,
            LayerDocument document, AutoLayerCount.Result auto, Nesting nesting) {
        Decomposition d = run.decomposition();
        boolean png = options.formats().contains("png");
        List<String> layerFiles = png ? PngStackWriter.layerFiles(document.tree()) : document.leafNames();
        JsonObject m = Manifest.of(d, run.modelDir(), run.device(), run.precision(), layerFiles);
        Manifest.deviceChoice(m, run.deviceChoice());
        m.addProperty("source", input.source());
        if (!input.conversion().isEmpty()) {
            m.addProperty("conversion", input.conversion());
        }
        m.addProperty("seed", d.settings().seed());
        JsonObject size = new JsonObject();
        size.addProperty("width", output.layers().get(0).width());
        size.addProperty("height", output.layers().get(0).height());
        size.addProperty("resampled_to_input", options.originalSize());
        m.add("output_size", size);
        if (auto != null) {
            Manifest.autoLayers(m, options.maxLayers(), auto);
        }
        if (nesting != null) {
            m.add("layer_of", layerOf(nesting, input));
        }
        Manifest.layerTree(m, document.tree(), png);
        Manifest.pixelSize(m, document.pixelSize());
        m.addProperty("plugin_version", version());
        if (run.plan() != null) {
            m.add("memory_plan", run.plan().toJson());
        }
        return m;
    }

    private static JsonObject layerOf(Nesting nesting, ImageConversion.InputPlane input) {
        JsonObject o = new JsonObject();
        o.addProperty("result", input.source());
        o.addProperty("layer", nesting.path());
        o.addProperty("name", nesting.parent().tree().node(nesting.path()).name());
        return o;
    }

    /** The Info text of the result: everything needed to reproduce or judge it. */
    String info(ImageConversion.InputPlane input, Decomposer.Run run, LayerStack output, double seconds,
            AutoLayerCount.Result auto, Calibration cal, Nesting nesting) {
        Decomposition d = run.decomposition();
        DecomposeSettings s = d.settings();
        StringBuilder b = new StringBuilder();
        b.append("Layered decomposition (Qwen-Image-Layered), plugin ").append(version()).append('\n');
        b.append("Source: ").append(input.source()).append('\n');
        if (!input.conversion().isEmpty()) {
            b.append("Conversion: ").append(input.conversion()).append('\n');
        }
        b.append("Layers: ").append(output.size()).append(" (Z=1 bottom ... Z=").append(output.size())
                .append(" top); channels red, green, blue, alpha (straight alpha)\n");
        if (auto != null) {
            b.append("Layer count: automatic, ").append(auto.layers().size()).append(" of ")
                    .append(auto.decisions().size()).append(" decomposed (max_layers=").append(options.maxLayers())
                    .append(")\n");
            for (AutoLayerCount.Decision x : auto.decisions()) {
                b.append("  decomposed layer ").append(x.layer()).append(": ").append(x.reason()).append('\n');
            }
        }
        PixelSize px = pixelSize(cal);
        if (px != null) {
            b.append("Pixel size: ").append(px).append(" (the input's, scaled to these layers)\n");
        }
        b.append("Model: ").append(run.model()).append('\n');
        b.append("Device: ").append(run.deviceChoice()).append(", ").append(run.precision()).append('\n');
        if (run.plan() != null) {
            b.append("Memory: ").append(run.plan().summary()).append('\n');
        }
        b.append("Resolution: ").append(s.resolution()).append(" (working size ").append(d.bucket().width())
                .append('x').append(d.bucket().height()).append(")");
        int outW = output.layers().get(0).width();
        int outH = output.layers().get(0).height();
        if (outW != d.bucket().width() || outH != d.bucket().height()) {
            b.append("; resampled to the input size ").append(outW).append('x').append(outH)
                    .append(" (premultiplied Lanczos)");
        }
        b.append('\n');
        b.append("Steps: ").append(s.steps()).append('\n');
        b.append("CFG scale: ").append(DecomposeOptions.number(s.cfgScale())).append(", normalise ")
                .append(s.cfgNormalize()).append(d.cfgActive() ? " (active)" : " (off)").append('\n');
        b.append("Seed: ").append(s.seed()).append(options.seed().isEmpty() ? " (random)" : "").append('\n');
        if (d.captioned()) {
            b.append("Caption (automatic): ").append(d.prompt()).append('\n');
        } else if (d.prompt() == null || d.prompt().isEmpty()) {
            b.append("Prompt: (prompt embeddings from ").append(options.inputs().isEmpty() ? "input" : options.inputs())
                    .append(")\n");
        } else if (options.prompt().isBlank()) {
            b.append("Caption (automatic): ").append(d.prompt()).append('\n');
        } else {
            b.append("Prompt: ").append(d.prompt()).append('\n');
        }
        b.append("Negative prompt: [").append(s.negativePrompt() == null ? "" : s.negativePrompt()).append("]\n");
        b.append(String.format(Locale.ROOT, "Recomposition error (working size): mean %.2f/255, max %d/255, "
                + "PSNR %.1f dB%n", d.stack().compositeError().meanAbs(), d.stack().compositeError().maxAbs(),
                d.stack().compositeError().psnr()));
        b.append("Timings:");
        for (Map.Entry<String, Double> e : orderedSeconds(d).entrySet()) {
            b.append(String.format(Locale.ROOT, " %s %.1f s;", e.getKey(), e.getValue()));
        }
        b.append(String.format(Locale.ROOT, " total %.1f s%n", seconds));
        String layer = nesting == null ? "" : MacroOptions.item(LayerOfResult.LAYER, String.valueOf(nesting.z())) + " ";
        String macro = layer + options.withSeed(String.valueOf(s.seed())).toMacroString();
        b.append("Macro: run(\"").append(nesting == null ? MENU_LABEL : LAYER_MENU_LABEL).append("\", \"")
                .append(macro.replace("\\", "\\\\").replace("\"", "\\\"")).append("\");\n");
        return b.toString();
    }

    private static Map<String, Double> orderedSeconds(Decomposition d) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (String stage : STAGES) {
            Double v = d.seconds().get(stage);
            if (v != null) {
                out.put(stage, v);
            }
        }
        d.seconds().forEach(out::putIfAbsent);
        return out;
    }

    /** Machine-readable image properties ({@code Property.get("Layered.seed")} in a macro). */
    Map<String, String> properties(ImageConversion.InputPlane input, Decomposer.Run run, LayerStack output) {
        Decomposition d = run.decomposition();
        Map<String, String> p = new LinkedHashMap<>();
        p.put("Layered.source", input.source());
        p.put("Layered.layers", String.valueOf(output.size()));
        p.put("Layered.order", "Z=1 is the bottom layer");
        p.put("Layered.seed", String.valueOf(d.settings().seed()));
        p.put("Layered.steps", String.valueOf(d.settings().steps()));
        p.put("Layered.cfg", DecomposeOptions.number(d.settings().cfgScale()));
        p.put("Layered.resolution", String.valueOf(d.settings().resolution()));
        p.put("Layered.prompt", d.prompt() == null ? "" : d.prompt());
        p.put("Layered.model", run.model());
        p.put("Layered.device", run.device());
        p.put("Layered.deviceChoice", run.deviceChoice());
        p.put("Layered.compositeMeanAbs", String.format(Locale.ROOT, "%.4f", d.stack().compositeError().meanAbs()));
        p.put("Layered.compositePsnr", String.format(Locale.ROOT, "%.2f", d.stack().compositeError().psnr()));
        return p;
    }

    /** The plugin's version from the jar manifest, or "dev" when run from classes. */
    public static String version() {
        String v = DecomposeJob.class.getPackage() == null ? null
                : DecomposeJob.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
