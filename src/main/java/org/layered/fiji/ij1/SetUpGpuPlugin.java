package org.layered.fiji.ij1;

import ij.IJ;
import ij.Macro;
import ij.gui.GenericDialog;
import ij.plugin.PlugIn;
import org.layered.engine.EngineException;
import org.layered.engine.LibtorchFolder;
import org.layered.engine.install.EngineInstaller;
import org.layered.engine.install.EngineSetup;
import org.layered.fiji.GpuSetup;
import org.layered.fiji.Ij1Download;
import org.layered.fiji.MacroOptions;
import org.layered.fiji.Messages;
import org.layered.store.ModelStoreException;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Plugins > Layered > Set Up GPU...: shows which libtorch Layered uses and why, the CUDA devices and the NVIDIA
 * driver (dialog and Log), and installs DJL's CUDA libtorch into {@code Fiji.app/engines/layered} (size and place
 * asked first; progress with Esc; an interrupted install resumes), or remembers a libtorch folder, or goes back to
 * the bundled CPU engine. Macros: {@code run("Set Up GPU...", "action=install flavor=auto")}, {@code action=info},
 * {@code action=use folder=[/opt/libtorch]}, {@code action=default}; never a dialog.
 */
public class SetUpGpuPlugin implements PlugIn {
    static final String PREFS_KEY = "gpu";

    @Override
    public void run(String arg) {
        Ij1Support.withPluginClassLoader(getClass(), () -> {
            try {
                setUp();
            } catch (RuntimeException | Error e) {
                Ij1Support.unexpected(e);
            }
        });
    }

    private void setUp() {
        String macroOptions = Macro.getOptions();
        boolean interactive = Ij1Support.interactive(macroOptions);
        GpuSetup.Options o;
        EngineSetup setup;
        try {
            o = GpuSetup.Options.parse(MacroOptions.parse(interactive ? Ij1Support.load(PREFS_KEY) : macroOptions));
            setup = GpuSetup.setup(o.engines(), "ImageJ");
            IJ.showStatus("Layered: looking at the engine...");
            List<String> facts = GpuSetup.facts(setup);
            facts.forEach(l -> IJ.log("Layered: " + l));
            IJ.showStatus("");
            if (interactive) {
                o = ask(o, facts, setup);
                if (o == null) {
                    return;
                }
                setup = GpuSetup.setup(o.engines(), "ImageJ");
                Ij1Support.save(PREFS_KEY, o.toMacroString());
            }
        } catch (IllegalArgumentException | EngineException e) {
            Ij1Support.error(e.getMessage());
            return;
        }
        try {
            switch (o.action()) {
                case "info" -> {
                    return; // the facts are in the Log (and were in the dialog)
                }
                case "default" -> {
                    setup.useDefault();
                    say("Layered: forgot the remembered engine: the bundled CPU libtorch is used; " + setup.next(),
                            interactive);
                }
                case "use" -> say("Layered: " + GpuSetup.done("remembered", setup.use(Path.of(o.folder()), null, null),
                        setup), interactive);
                default -> install(o, setup, interactive);
            }
            if (interactive) {
                Ij1Support.record(o.toMacroString());
            }
        } catch (EngineException e) {
            Ij1Support.error(e.getMessage());
        }
    }

    /** The dialog: the facts, then what to do. Null when cancelled. */
    private static GpuSetup.Options ask(GpuSetup.Options o, List<String> facts, EngineSetup setup) {
        GenericDialog gd = new GenericDialog("Layered: Set Up GPU");
        gd.addMessage(String.join("\n", facts));
        String[] labels = GpuSetup.ACTION_LABELS.toArray(String[]::new);
        gd.addChoice("Action", labels, labels[GpuSetup.ACTIONS.indexOf(o.action())]);
        gd.addStringField("Flavor (auto, cpu or cuNNN)", o.flavor(), 8);
        gd.addDirectoryField("Folder (for 'use': a libtorch folder)", o.folder(), 30);
        gd.addDirectoryField("Engines folder (blank = " + setup.installer().engines() + ")", o.engines(), 30);
        gd.showDialog();
        if (gd.wasCanceled()) {
            return null;
        }
        return new GpuSetup.Options(GpuSetup.ACTIONS.get(gd.getNextChoiceIndex()), gd.getNextString(),
                gd.getNextString(), gd.getNextString());
    }

    private static void install(GpuSetup.Options o, EngineSetup setup, boolean interactive) {
        EngineInstaller.Plan plan;
        try {
            IJ.showStatus("Layered: reading the list of libtorch builds...");
            plan = setup.plan(o.flavor());
        } catch (ModelStoreException e) {
            Ij1Support.error(GpuSetup.failure(e));
            return;
        } finally {
            IJ.showStatus("");
        }
        IJ.log("Layered: flavour " + plan.flavor() + " (" + plan.choice().reason() + ")");
        plan.choice().warnings().forEach(w -> IJ.log("Layered: warning: " + w));
        if (o.flavor().equals("auto") && plan.choice().isCpu()) {
            say("Layered: " + GpuSetup.nothingToInstall(plan), interactive);
            return;
        }
        if (!plan.installed()) {
            IJ.log("Layered: " + plan.summary());
            if (interactive && !IJ.showMessageWithCancel("Layered: Set Up GPU",
                    Messages.wrap(GpuSetup.question(plan), Messages.DIALOG_WIDTH))) {
                return;
            }
        }
        Ij1Download progress = Ij1Download.forCurrentSession();
        try {
            LibtorchFolder f = setup.install(plan, progress, Duration.ofMillis(250), progress.cancel());
            say("Layered: " + GpuSetup.done(plan.installed() ? "already installed:" : "installed", f, setup),
                    interactive);
        } catch (ModelStoreException e) {
            if (GpuSetup.isCancelled(e)) {
                IJ.log("Layered: " + GpuSetup.failure(e));
                IJ.showStatus("Layered: install cancelled");
            } else {
                Ij1Support.error(GpuSetup.failure(e));
            }
        } finally {
            IJ.showProgress(1.0);
        }
    }

    /** The outcome: a Log line, and a message a person must read. */
    private static void say(String message, boolean interactive) {
        IJ.log(message);
        IJ.showStatus(message);
        if (interactive) {
            IJ.showMessage("Layered: Set Up GPU", Messages.wrap(message.replaceFirst("^Layered: ", ""),
                    Messages.DIALOG_WIDTH));
        }
    }
}
