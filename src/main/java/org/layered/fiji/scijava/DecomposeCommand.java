package org.layered.fiji.scijava;

import ij.ImagePlus;
import org.layered.fiji.DecomposeJob;
import org.layered.fiji.ImageConversion;
import org.layered.fiji.LayerOfResult;
import org.scijava.ItemIO;
import org.scijava.command.Command;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;
import org.scijava.widget.FileWidget;

import java.io.File;

/**
 * Plugins > Layered > Decompose... as a SciJava command, for Fiji, scripts ({@code #@ CommandService}) and
 * {@code --headless --run}. The image must be passed explicitly outside Fiji (SciJava alone does not know ImageJ
 * 1.x's active image). Outputs: {@code result}, the layer hyperstack, and {@code recomposed} when
 * {@code layer_images} is on; with {@code rois}, each layer's region goes to the ROI Manager (with a display) and
 * the image's overlay. In Fiji this command takes over the ImageJ 1.x entry of the same menu path, so the menu shows
 * one "Decompose...". Scripts holding an ImgLib2 image use {@link DecomposeImageCommand};
 * {@link DecomposeLayerCommand} decomposes one layer of a result again.
 */
@Plugin(type = Command.class, menuPath = "Plugins>Layered>Decompose...", headless = true,
        description = "Decompose an image into RGBA layers with Qwen-Image-Layered")
public class DecomposeCommand extends AbstractLayeredCommand {
    @Parameter(label = "Image", description = "The image to decompose (its current plane)")
    private ImagePlus image;

    // CHECKSTYLE:OFF the parameter names are the macro keys
    @Parameter(label = "Show the layer hyperstack", description = "Output the layers as one C=4 (RGBA) x Z=N "
            + "hyperstack")
    private boolean hyperstack = true;

    @Parameter(label = "Show each layer and the recomposed image", description = "Also show every layer as an "
            + "RGB image with its transparency as an overlay, and the recomposed image")
    private boolean layer_images = false;

    @Parameter(label = "Layers as ROIs", description = "Add each layer's region (alpha >= 128) to the ROI Manager "
            + "as layer-k (1 = bottom) and its outline to the image's overlay")
    private boolean rois = false;

    @Parameter(label = "Save to folder", style = FileWidget.DIRECTORY_STYLE, required = false,
            description = "Save the chosen formats into <folder>/<image name>/; blank = show only, save nothing")
    private File output;
    // CHECKSTYLE:ON

    @Parameter(type = ItemIO.OUTPUT, label = "Layers")
    private ImagePlus result;

    @Parameter(type = ItemIO.OUTPUT, label = "Recomposed")
    private ImagePlus recomposed;

    @Override
    public void run() {
        guarded(() -> {
            DecomposeJob.Outcome o = decomposeAndShow(() -> new LayerOfResult(ImageConversion.current(image), null),
                    image, hyperstack, layer_images, output, rois);
            if (o != null) {
                result = o.hyperstack();
                recomposed = o.recomposed();
            }
        });
    }
}
