package org.layered.fiji.scijava;

import ij.ImagePlus;
import org.layered.engine.ContextClassLoader;
import org.layered.fiji.DecomposeException;
import org.layered.fiji.DecomposeJob;
import org.layered.fiji.ImageConversion;
import org.layered.fiji.Messages;
import org.layered.fiji.ModelLocator;
import org.layered.fiji.PipelineDecomposer;
import org.layered.fiji.ResultDisplay;
import org.layered.engine.Cancellation;
import org.scijava.ItemIO;
import org.scijava.command.Command;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;
import org.scijava.widget.FileWidget;

import java.io.File;

/**
 * Plugins > Layered > Decompose as a SciJava command, for Fiji, scripts ({@code #@ CommandService}) and
 * {@code --headless --run}. The image must be passed explicitly outside Fiji (SciJava alone does not know ImageJ
 * 1.x's active image). Outputs: {@code result}, the layer hyperstack, and {@code recomposed} when
 * {@code layer_images} is on. In Fiji this command takes over the ImageJ 1.x entry of the same menu path, so the
 * menu shows one "Decompose".
 */
@Plugin(type = Command.class, menuPath = "Plugins>Layered>Decompose", headless = true,
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

    @Parameter(label = "Save to folder", style = FileWidget.DIRECTORY_STYLE, required = false,
            description = "Save the chosen formats into <folder>/<image name>/; blank = do not save")
    private File output;
    // CHECKSTYLE:ON

    @Parameter(type = ItemIO.OUTPUT, label = "Layers")
    private ImagePlus result;

    @Parameter(type = ItemIO.OUTPUT, label = "Recomposed")
    private ImagePlus recomposed;

    @Override
    public void run() {
        ContextClassLoader.run(getClass(), () -> {
            try {
                decompose();
            } catch (RuntimeException | Error e) {
                fail("unexpected error: " + Messages.forImageJ(e));
            }
        });
    }

    private void decompose() {
        Cancellation cancel = new Cancellation();
        SciJavaProgress progress = null;
        try {
            // a person is asked whether to download a missing model; scripts and macros get the one-line message
            ModelLocator locator = DownloadModelCommand.interactive(ui) ? ModelLocator.defaults().withDownloadOffer(
                    (missing, store) -> SciJavaDownload.offer(missing, store, ui, taskService, status, log))
                    : ModelLocator.defaults();
            DecomposeJob job = new DecomposeJob(options(hyperstack, layer_images, output),
                    new PipelineDecomposer(locator), m -> log.info(m));
            job.checkedSettings(null);
            ImageConversion.InputPlane input = ImageConversion.current(image);
            progress = progress("Layered: decompose " + input.name(), cancel);
            DecomposeJob.Outcome o = job.run(input, progress, cancel);
            result = o.hyperstack();
            recomposed = o.recomposed();
            ResultDisplay.showLayerImages(o); // result and recomposed are outputs: SciJava displays those
            ResultDisplay.fillResults(o);
            // what the macro recorder writes afterwards reproduces this result
            seed = String.valueOf(o.decomposition().settings().seed());
            log.info(ResultDisplay.summary(o));
        } catch (IllegalArgumentException e) {
            fail(e.getMessage());
        } catch (DecomposeException e) {
            fail(e.getMessage());
        } catch (Cancellation.CancelledException e) {
            log.info("Layered: cancelled; nothing was produced");
            cancel("cancelled");
        } finally {
            if (progress != null) {
                progress.finish();
            }
        }
    }
}
