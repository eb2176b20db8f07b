package org.layered.fiji;

import ij.ImagePlus;
import ij.process.ColorProcessor;
import org.junit.jupiter.api.Test;
import org.layered.engine.Cancellation;
import org.layered.image.RgbaImage;
import org.layered.layers.Compositor;
import org.layered.pipeline.ProgressListener;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Recompose... on a layer hyperstack as Decompose... shows it, edited and not. */
class RecompositionTest {
    private static DecomposeJob.Outcome result() throws Exception {
        DecomposeJob job = new DecomposeJob(DecomposeOptions.parse("layers=3"), new FijiFixtures.FakeDecomposer(),
                m -> { });
        return job.run(ImageConversion.current(FijiFixtures.rgb("cat.png", 64, 48)), ProgressListener.NONE,
                new Cancellation());
    }

    @Test
    void allLayersGiveTheRunsCompositeAsRgbOrRgba() throws Exception {
        DecomposeJob.Outcome o = result();
        RgbaImage composite = o.output().composite();
        ImagePlus rgb = new Recomposition("", "RGB").apply(o.hyperstack());
        assertEquals("cat-recomposed", rgb.getTitle());
        assertEquals(ImagePlus.COLOR_RGB, rgb.getType());
        RgbaImage white = Compositor.onWhite(composite);
        int[] px = (int[]) ((ColorProcessor) rgb.getProcessor()).getPixels();
        for (int i = 0; i < px.length; i += 97) {
            int x = i % rgb.getWidth();
            int y = i / rgb.getWidth();
            assertEquals(white.get(x, y, 0), px[i] >> 16 & 0xFF);
            assertEquals(white.get(x, y, 2), px[i] & 0xFF);
        }
        ImagePlus rgba = new Recomposition("", "rgba").apply(o.hyperstack());
        assertEquals(4, rgba.getNChannels());
        assertEquals("alpha", rgba.getStack().getSliceLabel(4));
        assertEquals(composite.get(10, 20, 3), rgba.getStack().getProcessor(4).get(10, 20));
        assertEquals(composite.get(10, 20, 1), rgba.getStack().getProcessor(2).get(10, 20));
    }

    @Test
    void aSubsetAndAnEditedLayer() throws Exception {
        DecomposeJob.Outcome o = result();
        ImagePlus hs = o.hyperstack();
        List<RgbaImage> layers = o.output().layers();
        ImagePlus only = new Recomposition("3, 1", "RGBA").apply(hs);
        RgbaImage expected = Compositor.over(List.of(layers.get(0), layers.get(2)));
        assertEquals(expected.get(30, 25, 0), only.getStack().getProcessor(1).get(30, 25));
        assertTrue(only.getInfoProperty().contains("2 of 3 layers"), only.getInfoProperty());
        // edit layer 2 (Z = 2) in place: clear its alpha; the result is then the other two
        hs.getStack().getProcessor(hs.getStackIndex(4, 2, 1)).setValue(0);
        hs.getStack().getProcessor(hs.getStackIndex(4, 2, 1)).fill();
        ImagePlus edited = new Recomposition("", "RGBA").apply(hs);
        for (int c = 1; c <= 4; c++) {
            assertEquals(expected.get(30, 25, c - 1), edited.getStack().getProcessor(c).get(30, 25));
        }
        DecomposeException e = assertThrows(DecomposeException.class, () -> new Recomposition("5", "RGB").apply(hs));
        assertTrue(e.getMessage().contains("there is no layer 5"), e.getMessage());
        e = assertThrows(DecomposeException.class, () -> new Recomposition("", "RGB").apply(FijiFixtures.rgb("p", 4,
                4)));
        assertTrue(e.getMessage().contains("is not a layer hyperstack"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Recomposition("", "CMYK"));
        assertEquals("layers=[3, 1] type=RGBA", new Recomposition("3, 1", "RGBA").toMacroString());
    }
}
