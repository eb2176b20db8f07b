package org.layered.layers;

import org.junit.jupiter.api.Test;
import org.layered.image.RgbaImage;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class CompositorTest {
    private static RgbaImage solid(int r, int g, int b, int a) {
        byte[] px = new byte[2 * 2 * 4];
        for (int i = 0; i < 4; i++) {
            px[4 * i] = (byte) r;
            px[4 * i + 1] = (byte) g;
            px[4 * i + 2] = (byte) b;
            px[4 * i + 3] = (byte) a;
        }
        return new RgbaImage(2, 2, px);
    }

    @Test
    void opaqueTopLayerHidesTheRest() {
        RgbaImage c = Compositor.over(List.of(solid(10, 20, 30, 255), solid(200, 100, 50, 255)));
        assertEquals(solid(200, 100, 50, 255), c);
    }

    @Test
    void halfTransparentRedOverOpaqueBlueMixes() {
        RgbaImage c = Compositor.over(List.of(solid(0, 0, 255, 255), solid(255, 0, 0, 128)));
        // 128/255 of red over blue
        assertEquals(128, c.get(0, 0, 0));
        assertEquals(0, c.get(0, 0, 1));
        assertEquals(127, c.get(0, 0, 2));
        assertEquals(255, c.get(0, 0, 3));
    }

    @Test
    void twoHalfTransparentLayersGiveThreeQuarterAlphaAndStraightColour() {
        RgbaImage c = Compositor.over(List.of(solid(255, 255, 255, 128), solid(255, 255, 255, 128)));
        assertEquals(255, c.get(1, 1, 0), "straight colour stays white");
        assertEquals(192, c.get(1, 1, 3)); // 1 - (1-128/255)^2 = 0.7518 -> 191.7
    }

    @Test
    void errorIgnoresColourOfInvisiblePixels() {
        Compositor.Error e = Compositor.error(solid(255, 0, 0, 0), solid(0, 255, 0, 0));
        assertEquals(0.0, e.meanAbs());
        assertEquals(Double.POSITIVE_INFINITY, e.psnr());
        Compositor.Error e2 = Compositor.error(solid(0, 0, 0, 255), solid(10, 0, 0, 255));
        assertEquals(2.5, e2.meanAbs(), 1e-9);
        assertEquals(10, e2.maxAbs());
    }

    @Test
    void mismatchedSizesAreRejected() {
        assertThrows(IllegalArgumentException.class,
                () -> Compositor.over(List.of(solid(0, 0, 0, 255), new RgbaImage(1, 1, new byte[4]))));
        assertThrows(IllegalArgumentException.class, () -> Compositor.over(List.of()));
    }
}
