package org.layered.fiji;

import ij.ImagePlus;
import ij.gui.Roi;
import org.junit.jupiter.api.Test;
import org.layered.image.RgbaImage;
import org.layered.layers.LayerStack;

import java.awt.Rectangle;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Layers as ROIs, headless: the overlay only, never the ROI Manager. */
class LayerRoisTest {
    private static RgbaImage box(int w, int h, int x0, int y0, int bw, int bh, int alpha) {
        byte[] px = new byte[w * h * 4];
        for (int y = y0; y < y0 + bh; y++) {
            for (int x = x0; x < x0 + bw; x++) {
                px[4 * (y * w + x) + 3] = (byte) alpha;
            }
        }
        return new RgbaImage(w, h, px);
    }

    @Test
    void eachCoveredRegionIsARoiNamedAfterItsLayerInTheInputsCoordinates() {
        // layers at a working size twice the input's: the ROIs come back at half the size
        RgbaImage bottom = box(40, 20, 0, 0, 40, 20, 255);
        RgbaImage half = box(40, 20, 10, 4, 8, 6, 200);
        RgbaImage faint = box(40, 20, 0, 0, 40, 20, 100); // alpha < 128 everywhere: no region
        LayerStack stack = LayerStack.of(List.of(bottom, half, faint), bottom);
        List<Roi> rois = LayerRois.of(stack, 20, 10);
        assertEquals(List.of("layer-1", "layer-2"), rois.stream().map(Roi::getName).toList());
        assertEquals(new Rectangle(5, 2, 4, 3), rois.get(1).getBounds());
        assertEquals(new Rectangle(0, 0, 20, 10), rois.get(0).getBounds());

        ImagePlus input = FijiFixtures.rgb("in", 20, 10);
        String line = LayerRois.show(input, rois);
        assertTrue(line.contains("no ROI Manager without a display (headless)"), line);
        assertEquals(2, input.getOverlay().size());
        // a second run replaces the outlines of the first
        LayerRois.show(input, rois.subList(1, 2));
        assertEquals(1, input.getOverlay().size());
        assertEquals("layer-2", input.getOverlay().get(0).getName());
    }
}
