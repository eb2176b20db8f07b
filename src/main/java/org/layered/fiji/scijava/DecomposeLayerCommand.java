package org.layered.fiji.scijava;

import ij.ImagePlus;
import org.layered.fiji.LayerOfResult;
import org.scijava.command.Command;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;

/**
 * Plugins > Layered > Decompose Layer... as a SciJava command: one layer of a layer hyperstack ({@code layer}, 1 =
 * bottom; 0 = the current Z) decomposed again into sub-layers, output as {@code <title>-layer-k-layers}; saved
 * (into {@code <output>/<title>-layer-k/}), the result keeps the nesting: the hyperstack's layers with layer k a
 * group of its sub-layers. The other parameters are Decompose's.
 */
@Plugin(type = Command.class, menuPath = "Plugins>Layered>Decompose Layer...", headless = true,
        description = "Decompose one layer of a Layered result again into sub-layers")
public class DecomposeLayerCommand extends AbstractImageCommand {
    @Parameter(label = "Layer hyperstack", description = "The result of Decompose... (C = RGBA, Z = layers)")
    private ImagePlus image;

    // CHECKSTYLE:OFF the parameter names are the macro keys
    @Parameter(label = "Layer (1 = bottom; 0 = the current Z)", min = "0", description = "The layer to decompose")
    private int layer = 0;
    // CHECKSTYLE:ON

    @Override
    public void run() {
        decomposeInto(() -> LayerOfResult.of(image, layer), image);
    }
}
