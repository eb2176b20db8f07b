package org.layered.fiji.ij1;

import ij.IJ;
import ij.ImagePlus;
import ij.Macro;
import ij.WindowManager;
import ij.plugin.PlugIn;
import org.layered.fiji.DecomposeException;
import org.layered.fiji.DecomposeJob;
import org.layered.fiji.DecomposeOptions;
import org.layered.fiji.ImageConversion;
import org.layered.fiji.Ij1Progress;
import org.layered.fiji.MacroOptions;
import org.layered.fiji.Messages;
import org.layered.fiji.ModelLocator;
import org.layered.fiji.PipelineDecomposer;
import org.layered.fiji.ResultDisplay;
import org.layered.fiji.RunCheck;
import org.layered.engine.Cancellation;

/**
 * Plugins > Layered > Decompose for ImageJ 1.x and classic macros, registered by {@code plugins.config}:
 * {@code run("Decompose", "layers=4 steps=50 ...")} decomposes the current plane of the active image. Macro options
 * are read first; the dialog is built only when a person runs the command (never headless). In Fiji the SciJava
 * command of the same menu path takes this entry over (see README, "One menu entry").
 */
public class DecomposePlugin implements PlugIn {
    static final String PREFS_KEY = "decompose";

    @Override
    public void run(String arg) {
        Ij1Support.withPluginClassLoader(getClass(), () -> {
            try {
                decompose();
            } catch (RuntimeException | Error e) {
                Ij1Support.unexpected(e);
            }
        });
    }

    private void decompose() {
        String macroOptions = Macro.getOptions();
        boolean interactive = Ij1Support.interactive(macroOptions);
        ImagePlus imp = WindowManager.getCurrentImage();
        DecomposeOptions options;
        try {
            if (interactive) {
                if (imp == null) {
                    Ij1Support.error("no image: open an image first (RGB, 8/16/32-bit, or an RGBA layer stack)");
                    return;
                }
                DecomposeOptions saved = DecomposeOptions.parse(MacroOptions.parse(Ij1Support.load(PREFS_KEY)),
                        DecomposeOptions.defaults());
                options = DecomposeDialog.show("Layered: Decompose", saved, false, null);
                if (options == null) {
                    return;
                }
                Ij1Support.save(PREFS_KEY, options.toMacroString());
            } else {
                options = DecomposeOptions.parse(MacroOptions.parse(macroOptions == null ? "" : macroOptions),
                        DecomposeOptions.defaults());
            }
        } catch (IllegalArgumentException e) {
            Ij1Support.error(e.getMessage());
            return;
        }

        Cancellation cancel = new Cancellation();
        Ij1Progress progress = Ij1Progress.forCurrentSession(cancel);
        // a person is asked whether to download a missing model; a macro gets the one-line message
        ModelLocator locator = interactive ? ModelLocator.defaults().withDownloadOffer(DownloadModelPlugin::offer)
                : ModelLocator.defaults();
        // a person is warned (and asked) before a run that would take hours on the CPU; a macro gets a Log line
        RunCheck check = interactive ? RunCheck.asking(IJ::log, q -> IJ.showMessageWithCancel(
                "Layered: slow on the CPU", Messages.wrap(q, Messages.DIALOG_WIDTH))) : RunCheck.logging(IJ::log);
        DecomposeJob job = new DecomposeJob(options, new PipelineDecomposer(locator).withCheck(check), IJ::log);
        try {
            job.checkedSettings(null);
            ImageConversion.InputPlane input = ImageConversion.current(imp);
            DecomposeJob.Outcome o = job.run(input, progress, cancel);
            ResultDisplay.showAll(o);
            ResultDisplay.fillResults(o);
            IJ.log(ResultDisplay.summary(o));
            IJ.showStatus("Layered: done");
            if (o.saveError() != null) {
                Ij1Support.error(o.saveError()); // after the result is shown: nothing computed is lost
            }
            if (interactive) {
                // the recorded line reproduces this result: it carries the seed actually used
                Ij1Support.record(options.withSeed(String.valueOf(o.decomposition().settings().seed()))
                        .toMacroString());
            }
        } catch (DecomposeException e) {
            Ij1Support.error(e.getMessage());
        } catch (Cancellation.CancelledException e) {
            IJ.log("Layered: cancelled; nothing was produced");
            IJ.showStatus("Layered: cancelled");
        } finally {
            progress.done();
        }
    }
}
