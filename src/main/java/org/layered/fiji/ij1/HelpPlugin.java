package org.layered.fiji.ij1;

import ij.IJ;
import ij.gui.HTMLDialog;
import ij.plugin.PlugIn;
import org.layered.fiji.HelpPage;

import java.awt.GraphicsEnvironment;

/** Plugins > Layered > Layered Help: the README's Fiji section, the page the dialogs' Help buttons show. */
public class HelpPlugin implements PlugIn {
    @Override
    public void run(String arg) {
        Ij1Support.withPluginClassLoader(getClass(), () -> {
            if (GraphicsEnvironment.isHeadless()) {
                IJ.log("Layered: the help is the README's \"Fiji and ImageJ\" section (a window needs a display)");
                return;
            }
            new HTMLDialog("Layered Help", HelpPage.html(), false);
        });
    }
}
