package org.layered.fiji;

import ij.CompositeImage;
import ij.ImagePlus;
import ij.gui.ImageRoi;
import ij.gui.Overlay;
import ij.gui.Roi;
import ij.measure.Calibration;
import ij.measure.ResultsTable;
import ij.process.ColorProcessor;
import org.layered.export.LayerDocument;
import org.layered.export.TiffStackWriter;
import org.layered.image.RgbaImage;
import org.layered.layers.AutoLayerCount;
import org.layered.layers.Compositor;
import org.layered.layers.LayerStack;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The ImageJ images of a decomposition: the layer hyperstack (8-bit, C = 4 red/green/blue/alpha, Z = layers with
 * Z = 1 the bottom, composite display with the alpha channel hidden), optional per-layer RGB images with their
 * transparency as an overlay, the recomposed image, and the Results rows. Nothing here shows a window.
 */
public final class ResultImages {
    /** Checkerboard square size of the transparency overlay, in pixels. */
    static final int CHECKER = 8;

    private ResultImages() {}

    /** Channel labels of the hyperstack, exactly as ImageJ's RGBA PNG writer expects them. */
    public static final List<String> CHANNELS = TiffStackWriter.CHANNEL_LABELS;

    /**
     * The layer hyperstack.
     *
     * @param props extra image properties ({@code Layered.*}), in order
     */
    public static ImagePlus hyperstack(LayerStack stack, String title, Calibration cal, String info,
            Map<String, String> props) {
        ImagePlus imp = TiffStackWriter.hyperstack(LayerDocument.of(stack, null), title);
        Object base = imp.getProperty("Info");
        imp.setProperty("Info", info + (base == null ? "" : "\n" + base));
        for (Map.Entry<String, String> e : props.entrySet()) {
            imp.setProp(e.getKey(), e.getValue());
        }
        if (cal != null) {
            imp.setCalibration(cal);
        }
        if (imp instanceof CompositeImage ci) {
            ci.setActiveChannels("1110"); // red+green+blue: the colours; alpha stays available as channel 4
        }
        imp.setPosition(1, 1, 1);
        return imp;
    }

    /**
     * Each layer as an RGB image of its colours, with an overlay that covers the transparent parts with a
     * checkerboard (opacity = 1 - alpha) and outlines the covered part (alpha >= 128).
     */
    public static List<ImagePlus> layerImages(LayerStack stack, String name, Calibration cal) {
        List<ImagePlus> out = new ArrayList<>();
        int n = stack.size();
        for (int i = 0; i < n; i++) {
            RgbaImage layer = stack.layers().get(i);
            int w = layer.width();
            int h = layer.height();
            byte[] px = layer.rgba();
            int[] rgb = new int[w * h];
            int[] checker = new int[w * h];
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int k = y * w + x;
                    int a = px[4 * k + 3] & 0xFF;
                    rgb[k] = (px[4 * k] & 0xFF) << 16 | (px[4 * k + 1] & 0xFF) << 8 | (px[4 * k + 2] & 0xFF);
                    int g = ((x / CHECKER + y / CHECKER) & 1) == 0 ? 0xCC : 0xFF;
                    checker[k] = (255 - a) << 24 | g << 16 | g << 8 | g;
                }
            }
            String role = i == 0 ? " (bottom)" : i == n - 1 ? " (top)" : "";
            ImagePlus imp = new ImagePlus(name + "-layer-" + (i + 1), new ColorProcessor(w, h, rgb));
            BufferedImage bi = new BufferedImage(w, h, BufferedImage.TYPE_INT_ARGB);
            bi.setRGB(0, 0, w, h, checker, 0, w);
            Overlay overlay = new Overlay();
            ImageRoi transparency = new ImageRoi(0, 0, bi);
            transparency.setName("transparency (checkerboard = alpha < 1)");
            overlay.add(transparency);
            Roi covered = LayerRois.covered(layer);
            if (covered != null) {
                covered.setName("alpha >= " + LayerStats.COVERED);
                covered.setStrokeColor(Color.YELLOW);
                overlay.add(covered);
            }
            imp.setOverlay(overlay);
            if (cal != null) {
                imp.setCalibration(cal);
            }
            imp.setProperty("Info", "Layered layer " + (i + 1) + " of " + n + role + ": RGB colours; the overlay "
                    + "shows its transparency (checkerboard) and outlines where alpha >= " + LayerStats.COVERED
                    + ". The exact alpha is channel 4 of the layer hyperstack.\n");
            out.add(imp);
        }
        return out;
    }

    /** The composite of the layers (alpha over, bottom to top) flattened onto white, as an RGB image. */
    public static ImagePlus recomposed(LayerStack stack, String title, Calibration cal) {
        ImagePlus imp = rgb(Compositor.onWhite(stack.composite()), title);
        if (cal != null) {
            imp.setCalibration(cal);
        }
        imp.setProperty("Info", "Layered: the layers composited bottom to top (alpha over), flattened onto white\n");
        return imp;
    }

    /** The colours of an RGBA image as an RGB ImagePlus (alpha left out). */
    static ImagePlus rgb(RgbaImage image, String title) {
        byte[] px = image.rgba();
        int[] rgb = new int[image.width() * image.height()];
        for (int k = 0; k < rgb.length; k++) {
            rgb[k] = (px[4 * k] & 0xFF) << 16 | (px[4 * k + 1] & 0xFF) << 8 | (px[4 * k + 2] & 0xFF);
        }
        return new ImagePlus(title, new ColorProcessor(image.width(), image.height(), rgb));
    }

    /** One row per layer: image, layer (1 = bottom), coverage, mean alpha and bounding box of the covered part. */
    public static void addRows(ResultsTable rt, String image, List<LayerStats> stats) {
        addRows(rt, image, stats, null);
    }

    /**
     * The same, and with an automatic layer count a {@code Source} column: the layers decomposed that each layer
     * holds ({@code 3+4} when two were merged).
     */
    public static void addRows(ResultsTable rt, String image, List<LayerStats> stats, AutoLayerCount.Result auto) {
        int n = stats.size();
        for (LayerStats s : stats) {
            rt.incrementCounter();
            rt.addValue("Image", image);
            rt.addValue("Layer", s.layer());
            rt.addValue("Position", s.layer() == 1 ? "bottom" : s.layer() == n ? "top" : "middle");
            rt.addValue("Coverage", s.coverage());
            rt.addValue("MeanAlpha", s.meanAlpha());
            rt.addValue("BX", s.x());
            rt.addValue("BY", s.y());
            rt.addValue("Width", s.width());
            rt.addValue("Height", s.height());
            if (auto != null) {
                rt.addValue("Source", String.join("+", auto.sources().get(s.layer() - 1).stream()
                        .map(String::valueOf).toList()));
            }
        }
    }

    /** The title of the table of an automatic count's decisions. */
    public static final String DECISIONS = "Layered layer count";

    /** One row per layer decomposed: what the automatic count did with it and why. */
    public static void addDecisionRows(ResultsTable rt, String image, AutoLayerCount.Result auto) {
        for (AutoLayerCount.Decision d : auto.decisions()) {
            rt.incrementCounter();
            rt.addValue("Image", image);
            rt.addValue("Decomposed", d.layer());
            rt.addValue("Action", d.action().name().toLowerCase(java.util.Locale.ROOT));
            rt.addValue("Layer", d.into());
            rt.addValue("Coverage", d.coverage());
            rt.addValue("Contribution", d.contribution());
            rt.addValue("VisibleArea", d.visibleArea());
            rt.addValue("Reason", d.reason());
        }
    }

    /** The calibration of an output of {@code outW x outH} made from an input of {@code inW x inH}. */
    public static Calibration scaled(Calibration input, int inW, int inH, int outW, int outH) {
        if (input == null) {
            return null;
        }
        Calibration c = input.copy();
        if (inW != outW || inH != outH) {
            c.pixelWidth = input.pixelWidth * inW / outW;
            c.pixelHeight = input.pixelHeight * inH / outH;
            c.xOrigin = input.xOrigin * outW / inW;
            c.yOrigin = input.yOrigin * outH / inH;
        }
        c.pixelDepth = 1;
        c.zOrigin = 0;
        return c;
    }
}
