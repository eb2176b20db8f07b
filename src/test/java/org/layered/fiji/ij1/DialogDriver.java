package org.layered.fiji.ij1;

import ij.Executer;
import ij.IJ;
import ij.ImageJ;
import ij.ImagePlus;
import ij.WindowManager;
import ij.gui.GenericDialog;
import ij.plugin.frame.Recorder;

import java.awt.EventQueue;
import java.awt.TextField;
import java.awt.Window;
import java.awt.event.ActionEvent;
import java.util.Arrays;
import java.util.Vector;

/**
 * Plays a user in a child ImageJ with a window (under Xvfb): opens the Macro Recorder, picks Plugins > Layered >
 * Decompose, fills the dialog and presses OK, then prints what the recorder wrote. Only ImageJ classes are used, so
 * the plugin itself still comes from the plugins folder. Arguments: model folder, embeddings file, output folder.
 */
public final class DialogDriver {
    private DialogDriver() {}

    public static void main(String[] args) throws Exception {
        new ImageJ(ImageJ.NO_SHOW);
        IJ.run("Record...");
        ImagePlus imp = IJ.createImage("ramp", "RGB ramp", 64, 48, 1);
        imp.show();
        IJ.wait(300);
        new Executer("Decompose", imp); // what choosing the menu item does
        GenericDialog gd = null;
        for (int i = 0; i < 300 && gd == null; i++) {
            for (Window w : Window.getWindows()) {
                if (w instanceof GenericDialog g && g.isVisible()) {
                    gd = g;
                }
            }
            Thread.sleep(100);
        }
        if (gd == null) {
            System.out.println("DRIVER no dialog");
            System.exit(1);
        }
        System.out.println("DRIVER dialog " + gd.getTitle());
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
        text.get(0).setText(args[0]); // model folder
        numbers.get(0).setText("1"); // layers
        numbers.get(1).setText("1"); // steps
        numbers.get(2).setText("1"); // CFG scale
        text.get(4).setText(args[1]); // prompt embeddings
        text.get(5).setText(args[2]); // output folder
        GenericDialog dialog = gd;
        EventQueue.invokeAndWait(() -> dialog.actionPerformed(
                new ActionEvent(dialog.getButtons()[0], ActionEvent.ACTION_PERFORMED, "OK")));
        for (int i = 0; i < 1200; i++) {
            Thread.sleep(100);
            ImagePlus current = WindowManager.getCurrentImage();
            if (current != null && current.getTitle().endsWith("-layers") && Recorder.getInstance() != null
                    && Recorder.getInstance().getText().contains("run(\"Decompose\"")) {
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
}
