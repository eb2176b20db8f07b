package org.layered.fiji.ij1;

import ij.IJ;
import ij.plugin.PlugIn;
import org.layered.fiji.ModelHost;

/** Plugins > Layered > Unload Model: frees the memory of the model kept loaded between decompositions. */
public class UnloadModelPlugin implements PlugIn {
    @Override
    public void run(String arg) {
        Ij1Support.withPluginClassLoader(getClass(), () -> {
            String loaded = ModelHost.shared().loaded();
            try {
                ModelHost.shared().unload();
                IJ.log(loaded == null ? "Layered: no model was loaded" : "Layered: unloaded " + loaded);
            } catch (Exception | Error e) {
                Ij1Support.unexpected(e);
            }
        });
    }
}
