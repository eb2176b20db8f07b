package org.layered.fiji.scijava;

import ij.ImagePlus;
import org.layered.engine.Cancellation;
import org.layered.engine.ContextClassLoader;
import org.layered.engine.DeviceMenu;
import org.layered.engine.TorchEngine;
import org.layered.fiji.DecomposeException;
import org.layered.fiji.DecomposeJob;
import org.layered.fiji.DecomposeOptions;
import org.layered.fiji.ImageConversion;
import org.layered.fiji.LayerOfResult;
import org.layered.fiji.LayerRois;
import org.layered.fiji.MemoryOptions;
import org.layered.fiji.Messages;
import org.layered.fiji.ModelLocator;
import org.layered.fiji.PipelineDecomposer;
import org.layered.fiji.ResultDisplay;
import org.layered.fiji.RunCheck;
import org.layered.layers.AutoLayerCount;
import org.scijava.ItemVisibility;
import org.scijava.app.StatusService;
import org.scijava.command.ContextCommand;
import org.scijava.log.LogService;
import org.scijava.plugin.Parameter;
import org.scijava.task.TaskService;
import org.scijava.ui.UIService;
import org.scijava.widget.FileWidget;

import java.io.File;

/**
 * The decomposition parameters shared by the SciJava commands. The field names are the macro keys of
 * {@link DecomposeOptions} (Fiji's macro recorder and {@code run("Decompose...", "...")} use them), hence the
 * snake_case.
 */
abstract class AbstractLayeredCommand extends ContextCommand {
    // CHECKSTYLE:OFF the parameter names are the macro keys
    @Parameter(visibility = ItemVisibility.MESSAGE, required = false, persist = false)
    protected String help = "Help: Plugins > Layered > Layered Help (what each setting does)";

    @Parameter(label = "Model folder", style = FileWidget.DIRECTORY_STYLE, required = false,
            description = "The model folder (with model_index.json), or a model id; blank = the default model "
                    + "(Qwen/Qwen-Image-Layered) from the Hugging Face cache or the plugin's cache")
    protected File model;

    @Parameter(label = "Layers (a number, or auto)", description = "Number of RGBA layers (1-20), or auto: "
            + "decompose into the maximum, then keep the layers that matter")
    protected String layers = "4";

    @Parameter(label = "Max layers (for auto)", min = "1", max = "20", description = "The most layers 'auto' "
            + "decomposes into")
    protected int max_layers = AutoLayerCount.DEFAULT_MAX_LAYERS;

    @Parameter(label = "Resolution", choices = {"640", "1024"}, description = "Working-size bucket (pixels^2)")
    protected String resolution = "640";

    @Parameter(label = "Steps", min = "1", max = "1000", description = "Denoising steps")
    protected int steps = 50;

    @Parameter(label = "Seed", required = false, persist = false, description = "Initial-noise seed; blank = random (the seed "
            + "used is recorded in the Info, the manifest and the macro recorder)")
    protected String seed = "";

    @Parameter(label = "Prompt", required = false, description = "Description of the whole image; blank = "
            + "automatic caption")
    protected String prompt = "";

    @Parameter(label = "Device", initializer = "listDevices", description = "auto, cpu, or one of the CUDA "
            + "devices listed below (cuda = cuda:0)")
    protected String device = "auto";

    @Parameter(visibility = ItemVisibility.MESSAGE, required = false, persist = false)
    protected String devices = "";

    @Parameter(label = "Output at the input's size", description = "Resample the layers to the input's size "
            + "(premultiplied Lanczos) instead of the working size")
    protected boolean original_size = false;

    @Parameter(label = "Formats", required = false, description = "Export formats when saving: png, ora, psd, "
            + "tiff (comma-separated)")
    protected String formats = "png";

    @Parameter(visibility = ItemVisibility.MESSAGE, required = false, persist = false)
    protected String advanced = "Advanced (most runs leave these at the model's official settings):";

    @Parameter(label = "CFG scale", min = "0", description = "True classifier-free guidance scale; 1 = off")
    protected double cfg = 4.0;

    @Parameter(label = "CFG normalize", description = "Rescale the guided prediction to the conditional norm")
    protected boolean cfg_normalize = true;

    @Parameter(label = "Negative prompt", required = false, description = "Blank = the default \" \"")
    protected String negative = "";

    @Parameter(label = "Prompt embeddings (optional)", style = FileWidget.OPEN_STYLE, required = false,
            description = "A .safetensors file with prompt_embeds (and optionally prompt_embeds_mask, "
                    + "negative_prompt_embeds, latents) used instead of encoding the prompt")
    protected File inputs;

    @Parameter(label = "Precision", choices = {"auto", "float32", "bf16"}, description = "Compute dtype: auto = "
            + "float32 on the CPU, bf16 on CUDA; bf16 on the CPU is an opt-in, faster only on CPUs with native bf16 "
            + "(AVX512-BF16 or AMX; convolutions stay float32 there)")
    protected String precision = "auto";

    @Parameter(label = "Memory", choices = {"auto", "resident"}, description = "auto: the memory plan decides which "
            + "weights are on the GPU, streamed from host memory or read from the file (a run that cannot fit stops "
            + "before loading); resident: every weight on the GPU")
    protected String memory = "auto";

    @Parameter(label = "VRAM cap (GiB)", required = false, description = "Use at most this much of the GPU; blank "
            + "= its free memory")
    protected String vram_gib = "";

    @Parameter(label = "Weights", choices = {"bf16", "fp8"}, description = "fp8: the transformer's linear weights "
            + "as float8 with a scale per output channel (half the memory, about twice bf16's error)")
    protected String weights = "bf16";

    // CHECKSTYLE:ON

    @Parameter
    protected LogService log;

    @Parameter(required = false)
    protected StatusService status;

    @Parameter(required = false)
    protected TaskService taskService;

    @Parameter(required = false)
    protected UIService ui;

    /** The options of this command's parameters, with the given display and output choices, without ROIs. */
    protected DecomposeOptions options(boolean hyperstack, boolean layerImages, File output) {
        return options(hyperstack, layerImages, output, false);
    }

    /**
     * The options of this command's parameters, with the given display, output and ROI choices.
     *
     * @throws IllegalArgumentException for a layer count that is neither a number nor auto
     */
    protected DecomposeOptions options(boolean hyperstack, boolean layerImages, File output, boolean rois) {
        return new DecomposeOptions(path(model), 4, DecomposeOptions.resolution(resolution), steps, cfg,
                cfg_normalize, seed, prompt, negative, device, path(inputs), hyperstack, layerImages, original_size,
                path(output), formats, false, max_layers, rois, new MemoryOptions(memory, vram_gib, weights),
                precision).withLayerCount(layers, max_layers);
    }

    static String path(File f) {
        return f == null ? "" : f.getPath();
    }

    /**
     * Lists auto, cpu and exactly the CUDA devices the engine sees (with name and memory) under the device field,
     * and turns a remembered device that is not there any more into auto. Runs before the dialog. (A choice list
     * would need a DynamicCommand, which CommandService.run cannot return to scripts.)
     */
    protected void listDevices() {
        DeviceMenu menu;
        try {
            menu = TorchEngine.deviceMenu();
        } catch (RuntimeException | LinkageError e) {
            devices = "Devices: the CUDA devices could not be listed (" + Messages.forImageJ(e) + ")";
            return;
        }
        devices = "Devices here: " + String.join("; ", menu.labels()) + ". " + menu.autoNote();
        device = menu.keyOf(device);
    }

    /** Whether nobody sees a status bar: then progress goes to the log, a line per step. */
    protected boolean headless() {
        return Failures.headless(ui);
    }

    protected SciJavaProgress progress(String taskName, Cancellation cancel) {
        return new SciJavaProgress(taskService == null ? null : taskService.createTask(taskName), status, log,
                headless(), cancel);
    }

    /** Where a single-plane command's input comes from (read after the options were checked). */
    @FunctionalInterface
    protected interface Input {
        ImageConversion.InputPlane read() throws DecomposeException;
    }

    /** The same for a layer of a result (recursive decomposition). */
    @FunctionalInterface
    protected interface LayerInput {
        LayerOfResult read() throws DecomposeException;
    }

    /**
     * Decomposes one plane with this command's options: the options checked first, a person offered the download
     * of a missing model (scripts and macros get the one-line message), progress as a task, failures reported and
     * the command cancelled with the reason. The seed used replaces a blank one, so that what the macro recorder
     * writes afterwards reproduces the result.
     *
     * @return the outcome, or null when the run failed or was cancelled (already reported)
     */
    protected DecomposeJob.Outcome decompose(Input input, boolean hyperstack, boolean layerImages, File output) {
        DecomposeOptions options;
        try {
            options = options(hyperstack, layerImages, output);
        } catch (IllegalArgumentException e) {
            fail(e.getMessage());
            return null;
        }
        return decompose(() -> new LayerOfResult(input.read(), null), options);
    }

    /**
     * Decomposes what {@code input} reads with this command's options and the given choices, then shows the
     * per-layer images and the Results and, with {@code rois}, the layers' regions on {@code source}. The hyperstack
     * and the recomposed image are left to the caller, whose outputs they are.
     *
     * @return the outcome, or null when the run failed or was cancelled (already reported)
     */
    protected DecomposeJob.Outcome decomposeAndShow(LayerInput input, ImagePlus source, boolean hyperstack,
            boolean layerImages, File output, boolean rois) {
        DecomposeOptions options;
        try {
            options = options(hyperstack, layerImages, output, rois);
        } catch (IllegalArgumentException e) {
            fail(e.getMessage());
            return null;
        }
        DecomposeJob.Outcome o = decompose(input, options);
        if (o != null) {
            ResultDisplay.showLayerImages(o); // the hyperstack and the recomposed image are outputs: SciJava shows them
            ResultDisplay.fillResults(o);
            if (rois) {
                log.info(LayerRois.show(source, LayerRois.of(o.output(), o.input().width(), o.input().height())));
            }
        }
        return o;
    }

    /** The same with the given options, for a plane or a layer of a result. */
    protected DecomposeJob.Outcome decompose(LayerInput input, DecomposeOptions options) {
        Cancellation cancel = new Cancellation();
        SciJavaProgress progress = null;
        try {
            ModelLocator locator = DownloadModelCommand.interactive(ui) ? ModelLocator.defaults().withDownloadOffer(
                    (missing, store) -> SciJavaDownload.offer(missing, store, ui, taskService, status, log))
                    : ModelLocator.defaults();
            // a person is warned (and asked) before a run that would take hours on the CPU
            RunCheck check = DownloadModelCommand.interactive(ui)
                    ? RunCheck.asking(m -> log.info(m), q -> SciJavaDownload.confirm(ui, "Layered: slow on the CPU", q))
                    : RunCheck.logging(m -> log.info(m));
            DecomposeJob job = new DecomposeJob(options, new PipelineDecomposer(locator).withCheck(check),
                    m -> log.info(m));
            job.checkedSettings(null);
            LayerOfResult in = input.read();
            progress = progress("Layered: decompose " + in.input().name(), cancel);
            DecomposeJob.Outcome o = job.run(in.input(), in.nesting(), progress, cancel);
            seed = String.valueOf(o.decomposition().settings().seed());
            log.info(ResultDisplay.summary(o));
            if (o.saveError() != null) {
                warn(o.saveError()); // the outputs are still shown: nothing computed is lost
            }
            return o;
        } catch (IllegalArgumentException | DecomposeException e) {
            fail(e.getMessage());
        } catch (Cancellation.CancelledException e) {
            log.info("Layered: cancelled; nothing was produced");
            cancel("cancelled");
        } finally {
            if (progress != null) {
                progress.finish();
            }
        }
        return null;
    }

    /** Runs {@code body} with the plugin's class loader, reporting anything unexpected as a failure. */
    protected void guarded(Runnable body) {
        ContextClassLoader.run(getClass(), () -> {
            try {
                body.run();
            } catch (RuntimeException | Error e) {
                fail("unexpected error: " + Messages.forImageJ(e));
            }
        });
    }

    /** Reports a failure without a stack trace and cancels the command with it as the reason. */
    protected void fail(String message) {
        cancel(warn(message));
    }

    /** Reports a problem (log, status, and a dialog where someone sees it) without cancelling the command. */
    protected String warn(String message) {
        return Failures.report(message, log, status, ui);
    }
}
