package org.layered.fiji.scijava;

import org.layered.engine.ContextClassLoader;
import org.layered.engine.EngineException;
import org.layered.engine.LibtorchFolder;
import org.layered.engine.install.EngineInstaller;
import org.layered.engine.install.EngineSetup;
import org.layered.fiji.GpuSetup;
import org.layered.fiji.Messages;
import org.layered.store.ModelStoreException;
import org.scijava.ItemIO;
import org.scijava.app.StatusService;
import org.scijava.command.Command;
import org.scijava.command.ContextCommand;
import org.scijava.log.LogService;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;
import org.scijava.task.TaskService;
import org.scijava.ui.DialogPrompt;
import org.scijava.ui.UIService;
import org.scijava.widget.FileWidget;

import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Plugins > Layered > Set Up GPU... as a SciJava command (Fiji, scripts, {@code --headless}): the facts of the engine
 * in use (dialog and log), then the action: {@code install} DJL's CUDA libtorch into {@code Fiji.app/engines/layered}
 * (size and place asked first, a task with a cancel button, resumable), {@code info}, {@code use} a libtorch
 * folder, or {@code default} (the bundled CPU engine). Parameter names are the macro keys of the ImageJ 1.x plugin.
 * Output: {@code report}, the facts and what was done.
 */
@Plugin(type = Command.class, menuPath = "Plugins>Layered>Set Up GPU...", headless = true,
        description = "Show the engine and GPUs Layered uses; install a CUDA engine or choose a libtorch folder")
public class SetUpGpuCommand extends ContextCommand {
    @Parameter(label = "Action", choices = {"install", "info", "use", "default"}, description = "install: download "
            + "and install a CUDA libtorch (size and place are shown first); info: only show the facts; use: remember "
            + "the libtorch folder below; default: go back to the bundled CPU libtorch")
    private String action = "install";

    @Parameter(label = "Flavor", required = false, description = "auto (the newest CUDA build the NVIDIA driver "
            + "runs), cpu or cuNNN")
    private String flavor = "auto";

    @Parameter(label = "Libtorch folder (for 'use')", style = FileWidget.DIRECTORY_STYLE, required = false)
    private File folder;

    @Parameter(label = "Engines folder", style = FileWidget.DIRECTORY_STYLE, required = false,
            description = "Where installs go; blank = Fiji.app/engines/layered (or ~/.layered/engines)")
    private File engines;

    @Parameter(type = ItemIO.OUTPUT, label = "Report")
    private String report;

    @Parameter
    private LogService log;

    @Parameter(required = false)
    private StatusService status;

    @Parameter(required = false)
    private TaskService taskService;

    @Parameter(required = false)
    private UIService ui;

    private final List<String> lines = new ArrayList<>();

    @Override
    public void run() {
        ContextClassLoader.run(getClass(), () -> {
            try {
                setUp();
            } catch (RuntimeException | Error e) {
                fail("unexpected error: " + Messages.forImageJ(e));
            }
            report = String.join("\n", lines);
        });
    }

    private void setUp() {
        boolean interactive = DownloadModelCommand.interactive(ui);
        GpuSetup.Options o;
        EngineSetup setup;
        try {
            o = new GpuSetup.Options(action, flavor, AbstractLayeredCommand.path(folder),
                    AbstractLayeredCommand.path(engines));
            setup = GpuSetup.setup(o.engines(), "Fiji");
        } catch (IllegalArgumentException e) {
            fail(e.getMessage());
            return;
        }
        List<String> facts = GpuSetup.facts(setup);
        facts.forEach(this::say);
        try {
            switch (o.action()) {
                case "info" -> {
                    if (interactive) {
                        ui.showDialog(String.join("\n", facts), "Layered: Set Up GPU",
                                DialogPrompt.MessageType.INFORMATION_MESSAGE);
                    }
                }
                case "default" -> {
                    setup.useDefault();
                    done("forgot the remembered engine: the bundled CPU libtorch is used; " + setup.next(),
                            interactive);
                }
                case "use" -> done(GpuSetup.done("remembered", setup.use(Path.of(o.folder()), null, null), setup),
                        interactive);
                default -> install(o, setup, facts, interactive);
            }
        } catch (EngineException e) {
            fail(e.getMessage());
        }
    }

    private void install(GpuSetup.Options o, EngineSetup setup, List<String> facts, boolean interactive) {
        EngineInstaller.Plan plan;
        try {
            plan = setup.plan(o.flavor());
        } catch (ModelStoreException e) {
            fail(GpuSetup.failure(e));
            return;
        }
        say("flavour " + plan.flavor() + " (" + plan.choice().reason() + ")");
        plan.choice().warnings().forEach(w -> say("warning: " + w));
        if (o.flavor().equals("auto") && plan.choice().isCpu()) {
            done(GpuSetup.nothingToInstall(plan), interactive);
            return;
        }
        if (!plan.installed()) {
            say(plan.summary());
            if (interactive && !SciJavaDownload.confirm(ui, "Layered: Set Up GPU", String.join("\n", facts) + "\n\n"
                    + GpuSetup.question(plan))) {
                cancel("cancelled");
                return;
            }
        }
        SciJavaDownload progress = new SciJavaDownload(taskService, status, log, Failures.headless(ui),
                "libtorch " + plan.flavor());
        try {
            LibtorchFolder f = setup.install(plan, progress, Duration.ofMillis(250), progress.cancel(this::isCanceled));
            done(GpuSetup.done(plan.installed() ? "already installed:" : "installed", f, setup), interactive);
        } catch (ModelStoreException e) {
            if (GpuSetup.isCancelled(e)) {
                say(GpuSetup.failure(e));
                cancel("cancelled");
            } else {
                fail(GpuSetup.failure(e));
            }
        } finally {
            progress.finish();
        }
    }

    private void say(String line) {
        lines.add(line);
        log.info("Layered: " + line);
    }

    private void done(String message, boolean interactive) {
        say(message);
        if (status != null) {
            status.showStatus("Layered: " + message);
        }
        if (interactive) {
            ui.showDialog(Messages.wrap(message, Messages.DIALOG_WIDTH), "Layered: Set Up GPU",
                    DialogPrompt.MessageType.INFORMATION_MESSAGE);
        }
    }

    private void fail(String message) {
        lines.add("error: " + Messages.forImageJ(message));
        cancel(Failures.report(message, log, status, ui));
    }
}
