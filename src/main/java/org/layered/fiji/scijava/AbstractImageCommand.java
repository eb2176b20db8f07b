package org.layered.fiji.scijava;

import ij.ImagePlus;
import org.layered.fiji.DecomposeJob;
import org.scijava.ItemIO;
import org.scijava.plugin.Parameter;
import org.scijava.widget.FileWidget;

import java.io.File;

/**
 * The parameters and outputs of the commands that decompose one image plane and show the result (Decompose...,
 * Decompose Layer...): what to show, layers as ROIs, where to save; the layer hyperstack and the recomposed image as
 * outputs.
 */
abstract class AbstractImageCommand extends AbstractLayeredCommand {
    // CHECKSTYLE:OFF the parameter names are the macro keys
    @Parameter(label = "Show the layer hyperstack", description = "Output the layers as one C=4 (RGBA) x Z=N "
            + "hyperstack")
    protected boolean hyperstack = true;

    @Parameter(label = "Show each layer and the recomposed image", description = "Also show every layer as an "
            + "RGB image with its transparency as an overlay, and the recomposed image")
    protected boolean layer_images = false;

    @Parameter(label = "Layers as ROIs", description = "Add each layer's region (alpha >= 128) to the ROI Manager "
            + "as layer-k (1 = bottom) and its outline to the image's overlay")
    protected boolean rois = false;

    @Parameter(label = "Save to folder", style = FileWidget.DIRECTORY_STYLE, required = false,
            description = "Save the chosen formats into <folder>/<name>/; blank = show only, save nothing")
    protected File output;
    // CHECKSTYLE:ON

    @Parameter(type = ItemIO.OUTPUT, label = "Layers")
    protected ImagePlus result;

    @Parameter(type = ItemIO.OUTPUT, label = "Recomposed")
    protected ImagePlus recomposed;

    /** Decomposes what {@code input} reads, shows the result, and sets the outputs; the ROIs go on {@code source}. */
    protected void decomposeInto(LayerInput input, ImagePlus source) {
        guarded(() -> {
            DecomposeJob.Outcome o = decomposeAndShow(input, source, hyperstack, layer_images, output, rois);
            if (o != null) {
                result = o.hyperstack();
                recomposed = o.recomposed();
            }
        });
    }
}
