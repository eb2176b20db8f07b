package org.layered.image;

import net.imglib2.RandomAccessibleInterval;
import net.imglib2.img.Img;
import net.imglib2.img.array.ArrayImgs;
import net.imglib2.img.basictypeaccess.array.ByteArray;
import net.imglib2.img.planar.PlanarImg;
import net.imglib2.type.numeric.ARGBType;
import net.imglib2.type.numeric.integer.UnsignedByteType;
import net.imglib2.type.numeric.real.FloatType;
import net.imglib2.view.Views;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** ImgLib2 planes to RGBA and layers back: any minimum, views, the planar layer layout. */
class RgbaImgsTest {
    @Test
    void argbPlanesAreOpaqueRgbAtAnyMinimumAndThroughViews() {
        int[] px = new int[6 * 4];
        for (int i = 0; i < px.length; i++) {
            px[i] = (i * 10) << 16 | (i * 5) << 8 | i; // alpha byte 0, as ImageJ leaves it
        }
        Img<ARGBType> img = ArrayImgs.argbs(px, 6, 4);
        RgbaImage plain = RgbaImgs.fromArgb(img);
        assertEquals(6, plain.width());
        assertEquals(4, plain.height());
        assertEquals(10 * 7, plain.get(1, 1, 0));
        assertEquals(7, plain.get(1, 1, 2));
        assertTrue(plain.isOpaque());

        // the same pixels at min (100, -20): a translated view reads identically
        assertEquals(plain, RgbaImgs.fromArgb(Views.translate(img, 100, -20)));
        // an interval of a bigger, extended view with a non-zero minimum: pixels (2..4, 1..2)
        RandomAccessibleInterval<ARGBType> crop = Views.interval(Views.extendZero(img), new long[] {2, 1},
                new long[] {4, 2});
        RgbaImage c = RgbaImgs.fromArgb(crop);
        assertEquals(3, c.width());
        assertEquals(2, c.height());
        assertEquals(plain.get(2, 1, 0), c.get(0, 0, 0));
        assertEquals(plain.get(4, 2, 1), c.get(2, 1, 1));
        // a view rotated clockwise (its x runs from -3 to 0): pixel (i, j) is the source's (j, 3 - i)
        RandomAccessibleInterval<ARGBType> rotated = Views.rotate(img, 0, 1);
        assertEquals(-3, rotated.min(0));
        RgbaImage rot = RgbaImgs.fromArgb(rotated);
        assertEquals(4, rot.width());
        assertEquals(6, rot.height());
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 6; j++) {
                assertEquals(plain.get(j, 3 - i, 0), rot.get(i, j, 0));
            }
        }
    }

    @Test
    void greyGoesThroughScalingAndLut() {
        Img<FloatType> f = ArrayImgs.floats(new float[] {-1f, 0f, 1f, Float.NaN}, 4, 1);
        RgbaImage g = RgbaImgs.fromGrey(f, ByteScaling.real(-1, 1), null);
        assertEquals(0, g.get(0, 0, 0));
        assertEquals(128, g.get(1, 0, 1)); // (0 + 1) * 127.5 + 0.5, truncated
        assertEquals(255, g.get(2, 0, 2));
        assertEquals(0, g.get(3, 0, 0), "NaN is 0, as in ImageJ");
        int[] lut = new int[256];
        for (int i = 0; i < 256; i++) {
            lut[i] = i << 16; // red ramp
        }
        RgbaImage red = RgbaImgs.fromGrey(f, ByteScaling.real(-1, 1), lut);
        assertEquals(255, red.get(2, 0, 0));
        assertEquals(0, red.get(2, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> RgbaImgs.fromGrey(f, ByteScaling.BYTE, new int[3]));
        assertThrows(IllegalArgumentException.class, () -> RgbaImgs.fromGrey(ArrayImgs.floats(2, 2, 2),
                ByteScaling.BYTE, null), "a plane is 2-D");
    }

    @Test
    void channelsMakeRgbOrRgbaEachWithItsScaling() {
        Img<UnsignedByteType> r = ArrayImgs.unsignedBytes(new byte[] {10, 20}, 2, 1);
        Img<FloatType> a = ArrayImgs.floats(new float[] {0f, 0.5f}, 2, 1);
        RgbaImage rgba = RgbaImgs.fromChannels(List.of(r, r, r, Views.translate(a, 7, 7)),
                List.of(ByteScaling.BYTE, ByteScaling.BYTE, ByteScaling.BYTE, ByteScaling.real(0, 1)));
        assertEquals(20, rgba.get(1, 0, 1));
        assertEquals(0, rgba.get(0, 0, 3));
        assertEquals(128, rgba.get(1, 0, 3));
        assertTrue(RgbaImgs.fromChannels(List.of(r, r, r), List.of(ByteScaling.BYTE, ByteScaling.BYTE,
                ByteScaling.BYTE)).isOpaque());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RgbaImgs.fromChannels(
                List.of(r, r, ArrayImgs.unsignedBytes(3, 1)), List.of(ByteScaling.BYTE, ByteScaling.BYTE,
                        ByteScaling.BYTE)));
        assertTrue(e.getMessage().contains("channel 3 is 3x1"), e.getMessage());
    }

    @Test
    void layersArePlanarXycz() {
        RgbaImage bottom = TestPattern.rgba(5, 3);
        RgbaImage top = new RgbaImage(5, 3, new byte[5 * 3 * 4]);
        PlanarImg<UnsignedByteType, ByteArray> img = RgbaImgs.layers(List.of(bottom, top));
        assertArrayEquals(new long[] {5, 3, 4, 2}, img.dimensionsAsLongArray());
        assertEquals(8, img.numSlices());
        for (int c = 0; c < 4; c++) {
            assertEquals(bottom.get(4, 2, c), img.getAt(4, 2, c, 0).get(), "channel " + c);
            assertEquals(bottom.get(1, 0, c), img.getPlane(c).getCurrentStorageArray()[1] & 0xFF,
                    "plane c + 4z is channel c of layer z");
        }
        assertEquals(0, img.getAt(0, 0, 3, 1).get());
        assertThrows(IllegalArgumentException.class, () -> RgbaImgs.layers(List.of(bottom, TestPattern.rgba(4, 3))));
    }
}
