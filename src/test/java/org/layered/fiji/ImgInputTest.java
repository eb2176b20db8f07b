package org.layered.fiji;

import net.imglib2.img.Img;
import net.imglib2.img.array.ArrayImgs;
import net.imglib2.type.numeric.integer.UnsignedByteType;
import net.imglib2.type.numeric.integer.UnsignedShortType;
import net.imglib2.type.numeric.real.DoubleType;
import net.imglib2.view.Views;
import org.junit.jupiter.api.Test;
import org.layered.image.RgbaImage;
import org.layered.image.TestPattern;

import static org.junit.jupiter.api.Assertions.*;

/** The layouts and types a script's ImgLib2 image may have, and the message for the others. */
class ImgInputTest {
    @Test
    void rgbaRgbAndGreyUnsignedBytesAreTakenAsTheyAre() throws Exception {
        RgbaImage picture = TestPattern.rgba(9, 7);
        ImageConversion.InputPlane rgba = ImgInput.plane(FijiFixtures.xyc(picture), "cat.png");
        assertEquals(picture, rgba.image(), "every channel, alpha included");
        assertEquals("cat", rgba.name());
        assertEquals("RGBA from channels 1-4 (4 = alpha)", rgba.conversion());
        assertTrue(rgba.source().contains("9x7x4 UnsignedByteType"), rgba.source());

        ImageConversion.InputPlane rgb = ImgInput.plane(Views.interval(FijiFixtures.xyc(picture), new long[] {0, 0, 0},
                new long[] {8, 6, 2}), "x");
        assertEquals("", rgb.conversion());
        assertTrue(rgb.image().isOpaque());
        assertEquals(picture.get(8, 6, 1), rgb.image().get(8, 6, 1));

        ImageConversion.InputPlane grey = ImgInput.plane(Views.hyperSlice(FijiFixtures.xyc(picture), 2, 1), "g");
        assertEquals(picture.get(3, 2, 1), grey.image().get(3, 2, 0));
        assertEquals(picture.get(3, 2, 1), grey.image().get(3, 2, 2));
        assertTrue(grey.conversion().startsWith("8-bit grey"), grey.conversion());
    }

    @Test
    void otherTypesAreScaledWithTheirDataRange() throws Exception {
        Img<UnsignedShortType> s = ArrayImgs.unsignedShorts(new short[] {100, 600, 1123}, 3, 1);
        ImageConversion.InputPlane p = ImgInput.plane(s, "s");
        assertEquals(0, p.image().get(0, 0, 0));
        assertEquals(255, p.image().get(2, 0, 0));
        assertEquals("grey scaled to 8 bits with the data range [100, 1123]", p.conversion());

        Img<DoubleType> d = ArrayImgs.doubles(new double[] {0, 0.25, 1, 2, 0, 0.5}, 3, 1, 2);
        assertThrows(DecomposeException.class, () -> ImgInput.plane(d, "c2"), "C = 2 is no layout");
        Img<DoubleType> rgb = ArrayImgs.doubles(new double[] {0, 0.5, 1, 0, 0, 0, 0, 0, 0}, 3, 1, 3);
        p = ImgInput.plane(rgb, "rgb");
        assertEquals(128, p.image().get(1, 0, 0));
        assertEquals("colour scaled to 8 bits with the data range [0, 1]", p.conversion());
    }

    @Test
    void otherLayoutsAreAClearMessage() {
        DecomposeException e = assertThrows(DecomposeException.class, () -> ImgInput.plane(
                ArrayImgs.unsignedBytes(4, 4, 4, 3), "stack"));
        assertTrue(e.getMessage().startsWith("image 4x4x4x3 UnsignedByteType: Layered takes X,Y"), e.getMessage());
        assertTrue(e.getMessage().contains("Views.hyperSlice"), e.getMessage());
        e = assertThrows(DecomposeException.class, () -> ImgInput.plane(null, "none"));
        assertTrue(e.getMessage().startsWith("no image"), e.getMessage());
    }
}
