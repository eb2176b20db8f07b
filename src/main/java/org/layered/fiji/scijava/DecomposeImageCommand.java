package org.layered.fiji.scijava;

import net.imglib2.RandomAccessibleInterval;
import net.imglib2.img.Img;
import net.imglib2.type.numeric.integer.UnsignedByteType;
import org.layered.fiji.DecomposeJob;
import org.layered.fiji.ImgInput;
import org.layered.image.RgbaImgs;
import org.scijava.ItemIO;
import org.scijava.command.Command;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;
import org.scijava.widget.FileWidget;

import java.io.File;

/**
 * Decompose for scripts that hold an ImgLib2 image: {@code image} is any {@link RandomAccessibleInterval} (an
 * {@code #@ Img}, a view; layouts as {@link ImgInput} takes them), {@code result} the layers as one
 * {@code Img<UnsignedByteType>} X, Y, C = 4 (red, green, blue, alpha; straight alpha), Z = layers (Z = 0 the bottom
 * layer). The other parameters are Decompose's. No menu entry: Plugins > Layered > Decompose is the one for people.
 *
 * <pre>
 * #@ Img image
 * #@ CommandService command
 * #@output Img layers
 * layers = command.run("org.layered.fiji.scijava.DecomposeImageCommand", false,
 *         "image", image, "layers", 4, "prompt", "").get().getOutput("result")
 * </pre>
 */
@Plugin(type = Command.class, headless = true, description = "Decompose an ImgLib2 image into RGBA layers with "
        + "Qwen-Image-Layered (for scripts)")
public class DecomposeImageCommand extends AbstractLayeredCommand {
    @Parameter(label = "Image", description = "X,Y (grey or ARGB) or X,Y,C with C = 1, 3 (RGB) or 4 (RGBA)")
    private RandomAccessibleInterval<?> image;

    @Parameter(label = "Name", required = false, description = "The image's name in the Info and the saved folder")
    private String name = "image";

    @Parameter(label = "Save to folder", style = FileWidget.DIRECTORY_STYLE, required = false,
            description = "Save the chosen formats into <folder>/<name>/; blank = do not save")
    private File output;

    @Parameter(type = ItemIO.OUTPUT, label = "Layers", description = "X, Y, C = 4 (RGBA), Z = layers (0 = bottom)")
    private Img<UnsignedByteType> result;

    @Override
    public void run() {
        guarded(() -> {
            DecomposeJob.Outcome o = decompose(() -> ImgInput.plane(image, name), false, false, output);
            if (o != null) {
                result = RgbaImgs.layers(o.output().layers());
            }
        });
    }
}
