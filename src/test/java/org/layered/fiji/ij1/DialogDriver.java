package org.layered.fiji.ij1;

import ij.Executer;
import ij.IJ;
import ij.ImageJ;
import ij.ImagePlus;
import ij.Menus;
import ij.WindowManager;
import ij.gui.GenericDialog;
import ij.plugin.frame.Recorder;

import java.awt.Button;
import java.awt.EventQueue;
import java.awt.TextField;
import java.awt.Window;
import java.awt.event.ActionEvent;
import java.util.Arrays;
import java.util.Vector;

/**
 * Plays a user in a child ImageJ with a window (under Xvfb): opens the Macro Recorder, picks Plugins > Layered >
 * Decompose..., fills the basic dialog, presses "Advanced...", fills the second dialog and presses OK, then prints
 * what the recorder wrote, the dialog's buttons and the commands the old names run. Only ImageJ classes are used,
 * so the plugin itself still comes from the plugins folder. Arguments: model folder, embeddings file, output
 * folder.
 */
public final class DialogDriver {
    private DialogDriver() {}

    public static void main(String[] args) throws Exception {
        new ImageJ(ImageJ.NO_SHOW);
        for (String name : new String[] {"Decompose", "Decompose Folder", "Decompose...", "Recompose...",
                "Decompose Layer..."}) {
            System.out.println("DRIVER command " + name + " -> " + Menus.getCommands().get(name));
        }
        IJ.run("Record...");
        ImagePlus imp = IJ.createImage("ramp", "RGB ramp", 64, 48, 1);
        imp.show();
        IJ.wait(300);
        new Executer("Decompose...", imp); // what choosing the menu item does
        GenericDialog gd = dialog(null);
        System.out.println("DRIVER dialog " + gd.getTitle());
        StringBuilder buttons = new StringBuilder();
        for (Button b : gd.getButtons()) {
            if (b != null) {
                buttons.append(buttons.length() == 0 ? "" : "|").append(b.getLabel().strip());
            }
        }
        System.out.println("DRIVER buttons " + buttons);
        @SuppressWarnings("unchecked")
        Vector<java.awt.Choice> choices = gd.getChoices();
        java.awt.Choice devices = choices.get(1); // after Resolution
        StringBuilder items = new StringBuilder();
        for (int i = 0; i < devices.getItemCount(); i++) {
            items.append(i == 0 ? "" : "|").append(devices.getItem(i));
        }
        System.out.println("DRIVER devices " + items);
        @SuppressWarnings("unchecked")
        Vector<TextField> text = gd.getStringFields();
        @SuppressWarnings("unchecked")
        Vector<TextField> numbers = gd.getNumericFields();
        System.out.println("DRIVER basic " + text.size() + " text fields, " + numbers.size() + " number fields");
        text.get(0).setText(args[0]); // model folder
        text.get(1).setText("1"); // layers
        numbers.get(1).setText("1"); // steps
        text.get(4).setText(args[2]); // output folder
        press(gd, gd.getButtons()[2]); // Advanced...

        GenericDialog advanced = dialog(gd);
        System.out.println("DRIVER dialog " + advanced.getTitle());
        @SuppressWarnings("unchecked")
        Vector<TextField> advancedText = advanced.getStringFields();
        @SuppressWarnings("unchecked")
        Vector<TextField> advancedNumbers = advanced.getNumericFields();
        advancedNumbers.get(0).setText("1"); // CFG scale
        advancedText.get(1).setText(args[1]); // prompt embeddings
        press(advanced, advanced.getButtons()[0]); // OK

        for (int i = 0; i < 1200; i++) {
            Thread.sleep(100);
            ImagePlus current = WindowManager.getCurrentImage();
            if (current != null && current.getTitle().endsWith("-layers") && Recorder.getInstance() != null
                    && Recorder.getInstance().getText().contains("run(\"Decompose...\"")) {
                break;
            }
        }
        ImagePlus result = WindowManager.getCurrentImage();
        System.out.println("DRIVER result " + result.getTitle() + " " + Arrays.toString(result.getDimensions()));
        for (String line : Recorder.getInstance().getText().split("\n")) {
            System.out.println("DRIVER recorded " + line);
        }
        System.exit(0);
    }

    /** The visible GenericDialog other than {@code not}, waited for up to 30 s. */
    private static GenericDialog dialog(GenericDialog not) throws InterruptedException {
        for (int i = 0; i < 300; i++) {
            for (Window w : Window.getWindows()) {
                if (w instanceof GenericDialog g && g != not && g.isVisible()) {
                    return g;
                }
            }
            Thread.sleep(100);
        }
        System.out.println("DRIVER no dialog");
        System.exit(1);
        return null;
    }

    private static void press(GenericDialog gd, Button button) throws Exception {
        EventQueue.invokeAndWait(() -> gd.actionPerformed(new ActionEvent(button, ActionEvent.ACTION_PERFORMED,
                button.getLabel())));
    }
}
