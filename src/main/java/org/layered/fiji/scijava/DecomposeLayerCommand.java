package org.layered.fiji.scijava;

import ij.ImagePlus;
import org.layered.fiji.DecomposeJob;
import org.layered.fiji.LayerOfResult;
import org.scijava.ItemIO;
import org.scijava.command.Command;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;
import org.scijava.widget.FileWidget;

import java.io.File;

/**
 * Plugins > Layered > Decompose Layer... as a SciJava command: one layer of a layer hyperstack ({@code layer}, 1 =
 * bottom; 0 = the current Z) decomposed again into sub-layers, output as {@code <title>-layer-k-layers}; saved, the
 * result keeps the nesting (the hyperstack's layers with layer k a group of its sub-layers). The other parameters
 * are Decompose's.
 */
@Plugin(type = Command.class, menuPath = "Plugins>Layered>Decompose Layer...", headless = true,
        description = "Decompose one layer of a Layered result again into sub-layers")
public class DecomposeLayerCommand extends AbstractLayeredCommand {
    @Parameter(label = "Layer hyperstack", description = "The result of Decompose... (C = RGBA, Z = layers)")
    private ImagePlus image;

    // CHECKSTYLE:OFF the parameter names are the macro keys
    @Parameter(label = "Layer (1 = bottom; 0 = the current Z)", min = "0", description = "The layer to decompose")
    private int layer = 0;

    @Parameter(label = "Show the layer hyperstack", description = "Output the sub-layers as one C=4 (RGBA) x Z=N "
            + "hyperstack")
    private boolean hyperstack = true;

    @Parameter(label = "Show each layer and the recomposed image", description = "Also show every sub-layer as an "
            + "RGB image with its transparency as an overlay, and the recomposed image")
    private boolean layer_images = false;

    @Parameter(label = "Sub-layers as ROIs", description = "Add each sub-layer's region to the ROI Manager and its "
            + "outline to the hyperstack's overlay")
    private boolean rois = false;

    @Parameter(label = "Save to folder", style = FileWidget.DIRECTORY_STYLE, required = false,
            description = "Save the nested result into <folder>/<title>-layer-k/; blank = show only, save nothing")
    private File output;
    // CHECKSTYLE:ON

    @Parameter(type = ItemIO.OUTPUT, label = "Sub-layers")
    private ImagePlus result;

    @Parameter(type = ItemIO.OUTPUT, label = "Recomposed")
    private ImagePlus recomposed;

    @Override
    public void run() {
        guarded(() -> {
            DecomposeJob.Outcome o = decomposeAndShow(() -> LayerOfResult.of(image, layer), image, hyperstack,
                    layer_images, output, rois);
            if (o != null) {
                result = o.hyperstack();
                recomposed = o.recomposed();
            }
        });
    }
}
