package org.layered.fiji.ij1;

import ij.ImagePlus;
import org.layered.engine.Cancellation;
import org.layered.fiji.DecomposeException;
import org.layered.fiji.DecomposeJob;
import org.layered.fiji.Ij1Progress;
import org.layered.fiji.LayerOfResult;
import org.layered.fiji.MacroOptions;

/**
 * Plugins > Layered > Decompose Layer...: one layer of a layer hyperstack (the current Z, or {@code layer=k}, 1 =
 * bottom) decomposed again into sub-layers, shown as {@code <title>-layer-k-layers}; saved, the result keeps the
 * nesting (the hyperstack's layers with layer k a group of its sub-layers). The options are Decompose's:
 * {@code run("Decompose Layer...", "layer=2 layers=3 ...")}.
 */
public class DecomposeLayerPlugin extends DecomposePlugin {
    static final String LAYER_PREFS_KEY = "decompose.layer";

    @Override
    String title() {
        return "Layered: Decompose Layer";
    }

    @Override
    String prefsKey() {
        return LAYER_PREFS_KEY;
    }

    @Override
    DecomposeDialog.Mode mode() {
        return DecomposeDialog.Mode.LAYER;
    }

    @Override
    String[] extra(MacroOptions saved) {
        return new String[] {saved.string(LayerOfResult.LAYER, "")};
    }

    @Override
    String recordedExtra(String[] extra) {
        return extra[0].isBlank() ? "" : MacroOptions.item(LayerOfResult.LAYER, extra[0].strip()) + " ";
    }

    @Override
    DecomposeJob.Outcome run(DecomposeJob job, ImagePlus imp, String[] extra, Ij1Progress progress,
            Cancellation cancel) throws DecomposeException {
        int z = extra[0].isBlank() ? 0 : MacroOptions.parse(MacroOptions.item(LayerOfResult.LAYER, extra[0]))
                .integer(LayerOfResult.LAYER, 0, 1, Integer.MAX_VALUE);
        LayerOfResult layer = LayerOfResult.of(imp, z);
        return job.run(layer.input(), layer.nesting(), progress, cancel);
    }
}
