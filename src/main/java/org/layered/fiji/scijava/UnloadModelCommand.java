package org.layered.fiji.scijava;

import org.layered.fiji.ModelHost;
import org.scijava.command.Command;
import org.scijava.log.LogService;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;

/** Plugins > Layered > Unload Model: frees the model kept loaded between decompositions. */
@Plugin(type = Command.class, menuPath = "Plugins>Layered>Unload Model", headless = true)
public class UnloadModelCommand implements Command {
    @Parameter
    private LogService log;

    @Override
    public void run() {
        String loaded = ModelHost.shared().loaded();
        try {
            ModelHost.shared().unload();
            log.info(loaded == null ? "Layered: no model was loaded" : "Layered: unloaded " + loaded);
        } catch (Exception e) {
            log.error("Layered: could not unload the model: " + e.getMessage());
        }
    }
}
