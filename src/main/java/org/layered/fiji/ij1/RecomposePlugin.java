package org.layered.fiji.ij1;

import ij.IJ;
import ij.ImagePlus;
import ij.Macro;
import ij.WindowManager;
import ij.gui.GenericDialog;
import ij.plugin.PlugIn;
import org.layered.fiji.DecomposeException;
import org.layered.fiji.HelpPage;
import org.layered.fiji.MacroOptions;
import org.layered.fiji.Recomposition;
import org.layered.fiji.ResultDisplay;

/**
 * Plugins > Layered > Recompose...: the layers of the active layer hyperstack (a Decompose result, edited or not)
 * composited back into one image, all of them or a subset, as RGB or RGBA:
 * {@code run("Recompose...", "layers=1,3 type=RGBA")}. The result is {@code <name>-recomposed}.
 */
public class RecomposePlugin implements PlugIn {
    static final String PREFS_KEY = "recompose";

    @Override
    public void run(String arg) {
        Ij1Support.withPluginClassLoader(getClass(), () -> {
            try {
                recompose();
            } catch (RuntimeException | Error e) {
                Ij1Support.unexpected(e);
            }
        });
    }

    private void recompose() {
        String macroOptions = Macro.getOptions();
        boolean interactive = Ij1Support.interactive(macroOptions);
        ImagePlus imp = WindowManager.getCurrentImage();
        Recomposition r;
        try {
            if (interactive) {
                if (imp == null) {
                    Ij1Support.error("no image: open a layer hyperstack first (the result of Decompose...)");
                    return;
                }
                r = Recomposition.parse(MacroOptions.parse(Ij1Support.load(PREFS_KEY)),
                        new Recomposition("", Recomposition.RGB));
                GenericDialog gd = new GenericDialog("Layered: Recompose");
                gd.addMessage("Composites the layers of " + imp.getTitle() + " bottom to top (Z = 1 is the bottom).");
                gd.addStringField("Layers (e.g. 1,3; blank = all)", r.layers(), 12);
                gd.addChoice("Type", Recomposition.TYPES, r.type());
                gd.addMessage("    RGB: flattened onto white; RGBA: channel 4 is the transparency");
                gd.addHelp(HelpPage.html());
                gd.showDialog();
                if (gd.wasCanceled()) {
                    return;
                }
                r = new Recomposition(gd.getNextString(), gd.getNextChoice());
                Ij1Support.save(PREFS_KEY, r.toMacroString());
            } else {
                r = Recomposition.parse(MacroOptions.parse(macroOptions == null ? "" : macroOptions),
                        new Recomposition("", Recomposition.RGB));
            }
            ImagePlus out = r.apply(imp);
            if (ResultDisplay.canShow()) {
                out.show();
            }
            IJ.log("Layered: " + out.getTitle() + ": " + out.getInfoProperty().strip().replaceFirst("^Layered: ", ""));
            if (interactive) {
                Ij1Support.record(r.toMacroString());
            }
        } catch (IllegalArgumentException | DecomposeException e) {
            Ij1Support.error(e.getMessage());
        }
    }
}
