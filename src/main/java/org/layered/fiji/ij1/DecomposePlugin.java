package org.layered.fiji.ij1;

import ij.IJ;
import ij.ImagePlus;
import ij.Macro;
import ij.WindowManager;
import ij.plugin.PlugIn;
import org.layered.engine.Cancellation;
import org.layered.fiji.DecomposeException;
import org.layered.fiji.DecomposeJob;
import org.layered.fiji.DecomposeOptions;
import org.layered.fiji.ImageConversion;
import org.layered.fiji.Ij1Progress;
import org.layered.fiji.LayerRois;
import org.layered.fiji.MacroOptions;
import org.layered.fiji.Messages;
import org.layered.fiji.ModelLocator;
import org.layered.fiji.PipelineDecomposer;
import org.layered.fiji.ResultDisplay;
import org.layered.fiji.RunCheck;

/**
 * Plugins > Layered > Decompose... for ImageJ 1.x and classic macros, registered by {@code plugins.config}:
 * {@code run("Decompose...", "layers=4 steps=50 ...")} decomposes the current plane of the active image (the old
 * name {@code run("Decompose", ...)} still works). Macro options are read first; the dialog is built only when a
 * person runs the command (never headless). In Fiji the SciJava command of the same menu path takes this entry over
 * (see README, "One menu entry"). With {@code rois}, each layer's region goes to the ROI Manager and the image's
 * overlay. {@link DecomposeLayerPlugin} runs the same steps on one layer of a result.
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

    /** The dialog's title. */
    String title() {
        return "Layered: Decompose";
    }

    /** Where the last dialog's choices are kept. */
    String prefsKey() {
        return PREFS_KEY;
    }

    /** Which dialog. */
    DecomposeDialog.Mode mode() {
        return DecomposeDialog.Mode.IMAGE;
    }

    /** The options of this command beyond Decompose's (none; Decompose Layer... has {@code layer}). */
    String[] extra(MacroOptions saved) {
        return new String[0];
    }

    /** The extra options as recorded before Decompose's. */
    String recordedExtra(String[] extra) {
        return "";
    }

    /** What to decompose: the current plane. */
    DecomposeJob.Outcome run(DecomposeJob job, ImagePlus imp, String[] extra, Ij1Progress progress,
            Cancellation cancel) throws DecomposeException {
        return job.run(ImageConversion.current(imp), progress, cancel);
    }

    private void decompose() {
        String macroOptions = Macro.getOptions();
        boolean interactive = Ij1Support.interactive(macroOptions);
        ImagePlus imp = WindowManager.getCurrentImage();
        DecomposeOptions options;
        String[] extra;
        try {
            if (interactive) {
                if (imp == null) {
                    Ij1Support.error("no image: open an image first (RGB, 8/16/32-bit, or an RGBA layer stack)");
                    return;
                }
                MacroOptions saved = MacroOptions.parse(Ij1Support.load(prefsKey()));
                extra = extra(saved);
                options = DecomposeDialog.show(title(), DecomposeOptions.parse(saved, DecomposeOptions.defaults()),
                        mode(), extra);
                if (options == null) {
                    return;
                }
                Ij1Support.save(prefsKey(), recordedExtra(extra) + options.toMacroString());
            } else {
                MacroOptions given = MacroOptions.parse(macroOptions == null ? "" : macroOptions);
                extra = extra(given);
                options = DecomposeOptions.parse(given, DecomposeOptions.defaults());
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
            DecomposeJob.Outcome o = run(job, imp, extra, progress, cancel);
            ResultDisplay.showAll(o);
            ResultDisplay.fillResults(o);
            if (options.rois()) {
                IJ.log(LayerRois.show(imp, LayerRois.of(o.output(), o.input().width(), o.input().height())));
            }
            IJ.log(ResultDisplay.summary(o));
            IJ.showStatus("Layered: done");
            if (o.saveError() != null) {
                Ij1Support.error(o.saveError()); // after the result is shown: nothing computed is lost
            }
            if (interactive) {
                // the recorded line reproduces this result: it carries the seed actually used
                Ij1Support.record(recordedExtra(extra) + options.withSeed(String.valueOf(o.decomposition()
                        .settings().seed())).toMacroString());
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
