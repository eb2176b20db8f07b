package org.layered.fiji;

import ij.ImagePlus;
import ij.macro.Interpreter;
import ij.measure.ResultsTable;

import java.awt.GraphicsEnvironment;
import java.util.Locale;

/** Shows a finished run the ImageJ 1.x way: windows (or batch-mode images), the Results table, a Log line. */
public final class ResultDisplay {
    private ResultDisplay() {}

    /** Whether {@link ImagePlus#show()} can work: a display exists, or a macro runs in batch mode. */
    public static boolean canShow() {
        return !GraphicsEnvironment.isHeadless() || Interpreter.isBatchMode();
    }

    /** Shows every image that was asked for (the hyperstack last, so that it becomes the current image). */
    public static void showAll(DecomposeJob.Outcome o) {
        if (!canShow()) {
            return;
        }
        showLayerImages(o);
        if (o.recomposed() != null) {
            o.recomposed().show();
        }
        if (o.hyperstack() != null) {
            o.hyperstack().show();
        }
    }

    /** Shows the per-layer images, if any were asked for. */
    public static void showLayerImages(DecomposeJob.Outcome o) {
        if (!canShow()) {
            return;
        }
        for (ImagePlus imp : o.layerImages()) {
            imp.show();
        }
    }

    /**
     * Replaces the contents of the system Results table with one row per layer, shown when there is a display;
     * an automatic count's decisions go into a table of their own ({@value ResultImages#DECISIONS}).
     */
    public static void fillResults(DecomposeJob.Outcome o) {
        ResultsTable rt = ResultsTable.getResultsTable();
        if (rt == null) {
            return;
        }
        rt.reset();
        ResultImages.addRows(rt, o.title(), o.stats(), o.auto());
        if (!GraphicsEnvironment.isHeadless()) {
            rt.show("Results");
        }
        if (o.auto() != null) {
            ResultsTable decisions = new ResultsTable();
            ResultImages.addDecisionRows(decisions, o.title(), o.auto());
            if (canShow()) {
                decisions.show(ResultImages.DECISIONS);
            }
        }
    }

    /** One line: what came out, the seed and the recomposition error. */
    public static String summary(DecomposeJob.Outcome o) {
        var d = o.decomposition();
        return String.format(Locale.ROOT, "Layered: %s: %d layers %dx%d, seed %d, recomposition error %.2f/255 "
                        + "(PSNR %.1f dB)%s", o.title(), o.output().size(), o.output().layers().get(0).width(),
                o.output().layers().get(0).height(), d.settings().seed(), d.stack().compositeError().meanAbs(),
                d.stack().compositeError().psnr(), o.savedTo() != null ? "; saved to " + o.savedTo()
                        : o.saveError() != null ? "; " + o.saveError() : "");
    }
}
