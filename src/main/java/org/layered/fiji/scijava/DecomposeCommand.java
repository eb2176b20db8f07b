package org.layered.fiji.scijava;

import ij.ImagePlus;
import org.layered.fiji.ImageConversion;
import org.layered.fiji.LayerOfResult;
import org.scijava.command.Command;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;

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
public class DecomposeCommand extends AbstractImageCommand {
    @Parameter(label = "Image", description = "The image to decompose (its current plane)")
    private ImagePlus image;

    @Override
    public void run() {
        decomposeInto(() -> new LayerOfResult(ImageConversion.current(image), null), image);
    }
}
