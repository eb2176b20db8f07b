package org.layered.fiji.scijava;

import ij.IJ;
import ij.Macro;
import org.layered.engine.ContextClassLoader;
import org.layered.fiji.DecomposeException;
import org.layered.fiji.Messages;
import org.layered.fiji.ModelDownload;
import org.layered.store.FetchPlan;
import org.layered.store.ModelStore;
import org.scijava.ItemIO;
import org.scijava.app.StatusService;
import org.scijava.ItemVisibility;
import org.scijava.command.Command;
import org.scijava.command.ContextCommand;
import org.scijava.log.LogService;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;
import org.scijava.task.TaskService;
import org.scijava.ui.UIService;
import org.scijava.widget.FileWidget;

import java.io.File;
import java.util.List;

/**
 * Plugins > Layered > Download Model... as a SciJava command: downloads a model from the Hugging Face hub (resumable,
 * verified) into one of the places Decompose searches: Fiji's models folder, the Hugging Face cache or the plugin's
 * cache, each shown with its free space; or any other folder. The parameter names are the macro keys of the ImageJ
 * 1.x plugin ({@code model}, {@code location}, {@code cache}, {@code endpoint}). A person confirms the size first;
 * scripts and headless runs download at once. Output: {@code folder}, the downloaded model's folder.
 */
@Plugin(type = Command.class, menuPath = "Plugins>Layered>Download Model...", headless = true,
        description = "Download a Qwen-Image-Layered model from the Hugging Face hub")
public class DownloadModelCommand extends ContextCommand {
    @Parameter(label = "Model", required = false, description = "Repository id (owner/name[@revision]) or model "
            + "id; blank = the default model (Qwen/Qwen-Image-Layered)")
    private String model = "";

    @Parameter(label = "Download into", required = false, initializer = "initLocation",
            choices = {"Hugging Face cache", "Fiji models folder", "Plugin cache"},
            description = "Where Decompose finds the model; the Fiji models folder only inside Fiji. Default: the "
                    + "Hugging Face cache when it exists (shared with Python tools), else Fiji's models folder")
    private String location = "";

    @Parameter(visibility = ItemVisibility.MESSAGE, required = false, persist = false)
    private String places = "";

    @Parameter(label = "Other folder", style = FileWidget.DIRECTORY_STYLE, required = false,
            description = "Any other folder to download into (Hugging Face hub layout); overrides the choice above")
    private File cache;

    @Parameter(label = "Endpoint", required = false, description = "Hub URL (a mirror); blank = HF_ENDPOINT or "
            + "https://huggingface.co")
    private String endpoint = "";

    @Parameter(type = ItemIO.OUTPUT, label = "Model folder")
    private File folder;

    @Parameter
    private LogService log;

    @Parameter(required = false)
    private StatusService status;

    @Parameter(required = false)
    private TaskService taskService;

    @Parameter(required = false)
    private UIService ui;

    @Override
    public void run() {
        ContextClassLoader.run(getClass(), () -> {
            try {
                download();
            } catch (RuntimeException | Error e) {
                fail("unexpected error: " + Messages.forImageJ(e));
            }
        });
    }

    private void download() {
        ModelStore store;
        try {
            store = ModelDownload.store(cache == null ? "" : cache.getPath(), endpoint, location);
        } catch (IllegalArgumentException e) {
            fail(e.getMessage());
            return;
        }
        String ref = ModelDownload.ref(store, model);
        try {
            if (interactive(ui)) {
                FetchPlan plan = ModelDownload.plan(store, ref);
                if (!plan.isComplete() && !SciJavaDownload.confirm(ui, "Layered: Download Model",
                        ModelDownload.question(plan))) {
                    cancel("cancelled");
                    return;
                }
            }
            ModelStore.FetchResult r = new SciJavaDownload(taskService, status, log, headless(ui), ref)
                    .fetch(store, ref, this::isCanceled);
            folder = r.model().root().toFile();
            log.info(ModelDownload.summary(r));
        } catch (DecomposeException e) {
            if (ModelDownload.isCancelled(e)) {
                log.info("Layered: " + e.getMessage());
                cancel("cancelled");
            } else {
                fail(e.getMessage());
            }
        }
    }

    /** Shows each place with its folder and free space; the store's default place unless one was chosen before. */
    protected void initLocation() {
        ModelStore here = ModelDownload.store("", "", "");
        List<String> offered = ModelDownload.places(here).stream().map(d -> ModelDownload.label(d.source())).toList();
        if (location == null || !offered.contains(location)) {
            location = ModelDownload.label(here.downloadDestination().source());
        }
        places = ModelDownload.placesText(here);
    }

    /** Whether nobody sees a dialog. */
    static boolean headless(UIService ui) {
        return Failures.headless(ui);
    }

    /** Whether a person runs the command: a display, and neither a macro nor a script with options. */
    static boolean interactive(UIService ui) {
        return !headless(ui) && Macro.getOptions() == null && !IJ.isMacro();
    }

    private void fail(String message) {
        cancel(Failures.report(message, log, status, ui));
    }
}
