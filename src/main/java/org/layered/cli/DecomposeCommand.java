package org.layered.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import org.layered.engine.ComputeDevice;
import org.layered.engine.DeviceSpec;
import org.layered.engine.Precision;
import org.layered.engine.TensorScope;
import org.layered.engine.TorchEngine;
import org.layered.export.LayerExporter;
import org.layered.export.LayerExporters;
import org.layered.export.Manifest;
import org.layered.export.PngLayerWriter;
import org.layered.export.PngStackWriter;
import org.layered.image.RgbaImage;
import org.layered.engine.Cancellation;
import org.layered.pipeline.DecomposePipeline;
import org.layered.pipeline.DecomposeSettings;
import org.layered.pipeline.Decomposition;
import org.layered.pipeline.GivenInputs;
import org.layered.pipeline.ProgressListener;
import org.layered.store.ModelStore;
import org.layered.store.ModelStoreException;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
                  --image IN.png           image to decompose (RGB or RGBA; PNG, JPEG, BMP, GIF)
                  --out OUTDIR             output folder (created if needed)
                  --layers N               number of layers (default 4)
                  --resolution 640|1024    working-size bucket (default 640)
                  --steps S                denoising steps (default 50)
                  --cfg SCALE              true CFG scale (default 4.0; CFG runs when > 1 with a negative prompt)
                  --cfg-normalize B        true|false, rescale guided predictions per token (default true)
                  --seed S                 initial-noise seed (default: random, recorded in manifest.json)
                  --prompt TEXT            description of the whole image (default: automatic caption)
                  --negative-prompt TEXT   negative prompt (default " ")
                  --device D               auto|cpu|cuda[:i] (default auto)
                  --inputs FILE            safetensors with prompt_embeds, prompt_embeds_mask,
                                           negative_prompt_embeds, negative_prompt_embeds_mask and/or latents
                                           (packed initial noise) to use instead of computing them
                  --format LIST            output formats, comma-separated: png, ora, psd, tiff (default png)

                Writes manifest.json and, per format: png: OUTDIR/layer-1.png ... layer-N.png (straight-alpha RGBA,
                layer-1 = bottom) and composite.png; ora: OUTDIR/layers.ora (OpenRaster, GIMP/Krita); psd:
                OUTDIR/layers.psd (layered Photoshop file with merged image); tiff: OUTDIR/layers.tif (ImageJ
                hyperstack, C = RGBA, Z = layers bottom to top). Progress goes to stderr; Ctrl-C stops between steps.
                """;
    }

    @Override
    public Set<String> flags() {
        return Set.of("model", "image", "out", "layers", "resolution", "steps", "cfg", "cfg-normalize", "seed",
                "prompt", "negative-prompt", "device", "inputs", "format");
    }

    @Override
    public int run(CliArgs args, PrintStream out, PrintStream err) throws Exception {
        Path model = resolveModel(args.has("model") ? args.required("model") : ModelStore.defaults().defaultModel());
        Path imageFile = args.path("image");
        Path outDir = args.path("out");
        DecomposeSettings settings = settings(args);
        List<LayerExporter> exporters;
        try {
            exporters = LayerExporters.forList(args.string("format", "png"));
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new CliArgs.UsageException(e.getMessage());
        }
        RgbaImage image = PngLayerWriter.read(imageFile);
        Files.createDirectories(outDir);

        TorchEngine engine = TorchEngine.get();
        ComputeDevice device = engine.resolve(settings.device());
        Precision precision = Precision.defaultFor(device);
        Cancellation cancel = new Cancellation();
        Thread hook = new Thread(cancel::cancel, "layered-cancel");
        Runtime.getRuntime().addShutdownHook(hook);
        try (DecomposePipeline pipeline = DecomposePipeline.open(model, device, precision, null);
             TensorScope scope = TensorScope.open()) {
            GivenInputs given = args.has("inputs") ? GivenInputs.read(args.path("inputs"), device) : GivenInputs.NONE;
            Decomposition d = pipeline.run(image, settings, given, new StderrProgress(err), cancel);
            int n = d.stack().size();
            List<String> written = new ArrayList<>();
            boolean png = false;
            for (LayerExporter exporter : exporters) {
                exporter.write(d.stack(), null, exporter.target(outDir));
                written.addAll(exporter.fileNames(n));
                png |= exporter.format().equals("png");
            }
            // layers_bottom_to_top: the PNG files when written, else the layer names inside the layered documents
            List<String> order = png ? PngStackWriter.layerNames(n) : LayerExporter.defaultLayerNames(n);
            JsonObject manifest = Manifest.of(d, model, device.toString(), precision.name(), order);
            JsonArray files = new JsonArray();
            written.forEach(files::add);
            manifest.add("files", files);
            Manifest.write(manifest, outDir.resolve("manifest.json"));
            out.printf(Locale.ROOT, "wrote %d layers (%dx%d) to %s; composite error %.2f/255 mean, PSNR %.1f dB%n",
                    d.stack().size(), d.bucket().width(), d.bucket().height(), outDir,
                    d.stack().compositeError().meanAbs(), d.stack().compositeError().psnr());
            return 0;
        } catch (Cancellation.CancelledException e) {
            err.println("layered decompose: cancelled; nothing written");
            return 130;
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the JVM is exiting (Ctrl-C): the hook has run
            }
        }
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

    static DecomposeSettings settings(CliArgs args) throws CliArgs.UsageException {
        DecomposeSettings d = DecomposeSettings.defaults();
        try {
            String normalize = args.string("cfg-normalize", "true").trim().toLowerCase(Locale.ROOT);
            if (!normalize.equals("true") && !normalize.equals("false")) {
                throw new CliArgs.UsageException("--cfg-normalize must be true or false, got '" + normalize + "'");
            }
            Long seed = args.has("seed") ? Long.valueOf(args.required("seed").trim()) : null;
            if (seed != null && seed < 0) {
                throw new CliArgs.UsageException("--seed must be >= 0");
            }
            return new DecomposeSettings(args.integer("layers", d.layers(), 1, DecomposeSettings.MAX_LAYERS),
                    args.integer("resolution", d.resolution(), 640, 1024),
                    args.integer("steps", d.steps(), 1, 1000),
                    Double.parseDouble(args.string("cfg", String.valueOf(d.cfgScale()))),
                    Boolean.parseBoolean(normalize), seed,
                    args.string("prompt", null), args.string("negative-prompt", d.negativePrompt()),
                    DeviceSpec.parse(args.string("device", "auto")));
        } catch (NumberFormatException e) {
            throw new CliArgs.UsageException("not a number: " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new CliArgs.UsageException(e.getMessage());
        }
    }

    /** One line per stage and per step on stderr. */
    private static final class StderrProgress implements ProgressListener {
        private final PrintStream err;
        private long stepStart = System.nanoTime();

        StderrProgress(PrintStream err) {
            this.err = err;
        }

        @Override
        public void stage(String name) {
            err.println("[layered] " + name);
            stepStart = System.nanoTime();
        }

        @Override
        public void step(int step, int total) {
            long now = System.nanoTime();
            err.printf(Locale.ROOT, "[layered] step %d/%d (%.2f s)%n", step, total, (now - stepStart) / 1e9);
            stepStart = now;
        }
    }

}
