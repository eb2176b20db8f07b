package org.layered.fiji;

import ij.ImagePlus;
import ij.gui.Overlay;
import ij.gui.Roi;
import ij.plugin.RoiScaler;
import ij.plugin.filter.ThresholdToSelection;
import ij.plugin.frame.RoiManager;
import ij.process.ByteProcessor;
import ij.process.ImageProcessor;
import org.layered.image.RgbaImage;
import org.layered.layers.LayerStack;

import java.awt.Color;
import java.awt.GraphicsEnvironment;
import java.util.ArrayList;
import java.util.List;

/**
 * Layers as regions of interest: each layer's covered part (alpha &ge; {@value LayerStats#COVERED}) as a ROI named
 * {@code layer-k} (k = 1 is the bottom layer), in the coordinates of the image that was decomposed, added to the ROI
 * Manager and drawn as outlines in that image's overlay. Without a display there is no ROI Manager to add to (it is
 * a window): the overlay is all, and the Log says so.
 */
public final class LayerRois {
    /** The name prefix of the ROIs: {@code layer-1} is the bottom layer. */
    public static final String PREFIX = "layer-";

    private LayerRois() {}

    /**
     * The covered part of each layer of {@code output}, scaled to an image of {@code width x height} (the input's
     * size when the layers are at the working size); a layer that covers nothing has no ROI.
     */
    public static List<Roi> of(LayerStack output, int width, int height) {
        List<Roi> out = new ArrayList<>();
        int n = output.size();
        for (int k = 0; k < n; k++) {
            RgbaImage layer = output.layers().get(k);
            int w = layer.width();
            int h = layer.height();
            Roi roi = covered(layer);
            if (roi == null) {
                continue;
            }
            if (w != width || h != height) {
                roi = RoiScaler.scale(roi, (double) width / w, (double) height / h, false);
            }
            roi.setName(PREFIX + (k + 1));
            roi.setStrokeColor(Color.getHSBColor((float) k / Math.max(1, n), 0.9f, 1f));
            out.add(roi);
        }
        return out;
    }

    /** The part of {@code layer} with alpha &ge; {@value LayerStats#COVERED} as one ROI, or null when there is none. */
    public static Roi covered(RgbaImage layer) {
        byte[] px = layer.rgba();
        byte[] mask = new byte[layer.width() * layer.height()];
        for (int i = 0; i < mask.length; i++) {
            mask[i] = (byte) ((px[4 * i + 3] & 0xFF) >= LayerStats.COVERED ? 255 : 0);
        }
        ByteProcessor bp = new ByteProcessor(layer.width(), layer.height(), mask);
        bp.setThreshold(255, 255, ImageProcessor.NO_LUT_UPDATE);
        return ThresholdToSelection.run(new ImagePlus("mask", bp));
    }

    /**
     * Draws {@code rois} in the overlay of {@code image} (replacing the outlines of an earlier run) and, where there
     * is a display, adds them to the ROI Manager. In a stack they belong to the plane that was decomposed (in a
     * hyperstack to its Z and T position, all channels).
     *
     * @return a line for the Log saying where the ROIs went
     */
    public static String show(ImagePlus image, List<Roi> rois) {
        Overlay overlay = image.getOverlay() == null ? new Overlay() : image.getOverlay();
        for (Roi r : overlay.toArray()) {
            if (r.getName() != null && r.getName().startsWith(PREFIX)) {
                overlay.remove(r);
            }
        }
        List<Roi> added = new ArrayList<>();
        for (Roi r : rois) {
            Roi copy = (Roi) r.clone();
            if (image.isHyperStack()) {
                copy.setPosition(0, image.getZ(), image.getT());
            } else if (image.getStackSize() > 1) {
                copy.setPosition(image.getCurrentSlice());
            }
            overlay.add(copy);
            added.add(copy);
        }
        image.setOverlay(overlay);
        String names = rois.isEmpty() ? "no layer covers anything" : rois.get(0).getName()
                + (rois.size() > 1 ? " .. " + rois.get(rois.size() - 1).getName() : "");
        if (GraphicsEnvironment.isHeadless()) {
            return "Layered: " + names + ": outlines in the overlay of " + image.getTitle() + "; no ROI Manager "
                    + "without a display (headless)";
        }
        RoiManager rm = RoiManager.getInstance(); // a batch-mode macro's hidden manager, or the open window
        if (rm == null) {
            rm = RoiManager.getRoiManager();
        }
        for (Roi r : added) {
            rm.addRoi((Roi) r.clone());
        }
        return "Layered: " + names + " added to the ROI Manager and outlined in the overlay of " + image.getTitle();
    }
}
