package org.layered.layers;

import org.junit.jupiter.api.Test;
import org.layered.image.RgbaImage;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class LayerDifferenceTest {
    @Test
    void countsValuesOffByMoreThanEachThresholdAcrossLayers() {
        RgbaImage zero = new RgbaImage(1, 1, new byte[] {0, 0, 0, 0});
        // differences 1, 2, 5, 17 in the first layer; 255 (unsigned bytes) and 0, 0, 0 in the second
        RgbaImage a = new RgbaImage(1, 1, new byte[] {1, 2, 5, 17});
        RgbaImage b = new RgbaImage(1, 1, new byte[] {(byte) 255, 0, 0, 0});
        LayerDifference d = LayerDifference.of(List.of(zero, zero), List.of(a, b));
        assertEquals(new LayerDifference(8, 4, 3, 2, 255, 280), d);
        assertEquals(35.0, d.mean());
        assertEquals("8 layer values: off by > 1 level 50.00 %, > 4 37.500 %, > 16 25.0000 %, max 255", d.toString());
    }

    @Test
    void refusesLayersThatDoNotPair() {
        RgbaImage one = new RgbaImage(1, 1, new byte[4]);
        RgbaImage two = new RgbaImage(2, 1, new byte[8]);
        assertThrows(IllegalArgumentException.class, () -> LayerDifference.of(List.of(one), List.of(one, one)));
        assertThrows(IllegalArgumentException.class, () -> LayerDifference.of(List.of(one), List.of(two)));
    }
}
