package org.layered.fiji.scijava;

import ij.ImagePlus;
import org.layered.engine.ContextClassLoader;
import org.layered.fiji.DecomposeException;
import org.layered.fiji.Recomposition;
import org.scijava.ItemIO;
import org.scijava.command.ContextCommand;
import org.scijava.command.Command;
import org.scijava.log.LogService;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;
import org.scijava.ui.UIService;

/**
 * Plugins > Layered > Recompose... as a SciJava command: the layers of a layer hyperstack (edited or not) composited
 * back into one image, all or a subset ({@code layers=1,3}), as RGB or RGBA ({@code type}); output {@code result}.
 */
@Plugin(type = Command.class, menuPath = "Plugins>Layered>Recompose...", headless = true,
        description = "Composite the layers of a Layered result back into one image")
public class RecomposeCommand extends ContextCommand {
    @Parameter(label = "Layer hyperstack", description = "The result of Decompose... (C = RGBA, Z = layers)")
    private ImagePlus image;

    @Parameter(label = "Layers (e.g. 1,3; blank = all)", required = false, description = "The layers to composite, "
            + "1 = bottom; a sub-layer of a layer decomposed again is 2.1")
    private String layers = "";

    @Parameter(label = "Type", choices = {Recomposition.RGB, Recomposition.RGBA}, description = "RGB: flattened "
            + "onto white; RGBA: channel 4 is the transparency")
    private String type = Recomposition.RGB;

    @Parameter(type = ItemIO.OUTPUT, label = "Recomposed")
    private ImagePlus result;

    @Parameter
    private LogService log;

    @Parameter(required = false)
    private UIService ui;

    @Override
    public void run() {
        ContextClassLoader.run(getClass(), () -> {
            try {
                result = new Recomposition(layers, type).apply(image);
                log.info("Layered: " + result.getTitle() + ": " + result.getInfoProperty().strip()
                        .replaceFirst("^Layered: ", ""));
            } catch (IllegalArgumentException | DecomposeException e) {
                cancel(Failures.report(e.getMessage(), log, null, ui));
            }
        });
    }
}
