package org.layered.fiji;

import ij.CompositeImage;
import ij.IJ;
import ij.ImagePlus;
import ij.ImageStack;
import ij.process.ByteProcessor;
import ij.process.FloatProcessor;
import ij.process.LUT;
import ij.process.ShortProcessor;
import org.junit.jupiter.api.Test;
import org.layered.export.LayerDocument;
import org.layered.export.TiffStackWriter;
import org.layered.image.RgbaImage;
import org.layered.layers.LayerStack;
import org.layered.testing.TinyModel;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Every ImageJ image type in, RGBA out, or a clear message. */
class ImageConversionTest {
    @Test
    void rgbIsTakenAsIsAndOpaque() throws Exception {
        ImagePlus imp = FijiFixtures.rgb("photo.png", 20, 10);
        imp.getCalibration().pixelWidth = 0.5;
        imp.getCalibration().setUnit("um");
        ImageConversion.InputPlane p = ImageConversion.current(imp);
        RgbaImage expected = TinyModel.image(20, 10);
        assertEquals(expected.get(3, 4, 0), p.image().get(3, 4, 0));
        assertEquals(expected.get(3, 4, 2), p.image().get(3, 4, 2));
        assertTrue(p.image().isOpaque());
        assertEquals("photo", p.name());
        assertEquals("", p.conversion());
        assertEquals(0.5, p.calibration().pixelWidth);
        assertEquals("\u00B5m", p.calibration().getUnit());
    }

    @Test
    void greyIsConvertedThroughTheDisplayRange() throws Exception {
        ByteProcessor b = new ByteProcessor(4, 1, new byte[] {0, 50, 75, (byte) 200});
        ImagePlus g8 = new ImagePlus("g8", b);
        ImageConversion.InputPlane p = ImageConversion.current(g8);
        assertEquals(75, p.image().get(2, 0, 0));
        assertEquals(75, p.image().get(2, 0, 2));
        assertTrue(p.conversion().startsWith("8-bit grey"), p.conversion());

        g8.setDisplayRange(50, 100);
        p = ImageConversion.current(g8);
        assertEquals(0, p.image().get(1, 0, 1));
        assertEquals(255, p.image().get(3, 0, 1));
        assertTrue(Math.abs(p.image().get(2, 0, 1) - 128) <= 3, "mid-range grey: " + p.image().get(2, 0, 1));
        assertTrue(p.conversion().contains("[50, 100]"), p.conversion());

        ShortProcessor s = new ShortProcessor(3, 1, new short[] {0, 2048, 4095}, null);
        ImagePlus g16 = new ImagePlus("g16.tif", s);
        g16.setDisplayRange(0, 4095);
        p = ImageConversion.current(g16);
        assertEquals(0, p.image().get(0, 0, 0));
        assertEquals(255, p.image().get(2, 0, 0));
        assertTrue(p.conversion().startsWith("16-bit image converted to 8-bit RGB with the display range "
                + "[0, 4095]"), p.conversion());

        FloatProcessor f = new FloatProcessor(2, 1, new float[] {-1f, 1f});
        ImagePlus g32 = new ImagePlus("g32", f);
        g32.setDisplayRange(-1, 1);
        p = ImageConversion.current(g32);
        assertEquals(0, p.image().get(0, 0, 0));
        assertEquals(255, p.image().get(1, 0, 0));
        assertTrue(p.conversion().startsWith("32-bit"), p.conversion());
    }

    /** The ImgLib2 conversion against ImageJ's own {@code convertToRGB}, pixel for pixel, every type and LUT. */
    @Test
    void asDisplayedIsExactlyWhatImageJShows() throws Exception {
        java.util.Random r = new java.util.Random(7);
        int w = 61;
        int h = 17;
        for (int trial = 0; trial < 24; trial++) {
            ij.process.ImageProcessor ip;
            switch (trial % 3) {
                case 0 -> {
                    byte[] b = new byte[w * h];
                    r.nextBytes(b);
                    ip = new ByteProcessor(w, h, b);
                }
                case 1 -> {
                    short[] s = new short[w * h];
                    for (int i = 0; i < s.length; i++) {
                        s[i] = (short) r.nextInt(trial % 2 == 0 ? 4096 : 65536);
                    }
                    ip = new ShortProcessor(w, h, s, null);
                }
                default -> {
                    float[] f = new float[w * h];
                    for (int i = 0; i < f.length; i++) {
                        f[i] = i % 97 == 0 ? Float.NaN : (float) (r.nextGaussian() * 3 - 1);
                    }
                    ip = new FloatProcessor(w, h, f);
                }
            }
            switch (trial / 3 % 4) {
                case 1 -> ip.invertLut();
                case 2 -> ip.setLut(LUT.createLutFromColor(java.awt.Color.ORANGE));
                case 3 -> {
                    byte[] red = new byte[256];
                    byte[] green = new byte[256];
                    byte[] blue = new byte[256];
                    for (int i = 0; i < 256; i++) {
                        red[i] = (byte) Math.min(255, 3 * i);
                        green[i] = (byte) Math.max(0, 2 * i - 255);
                        blue[i] = (byte) (i < 64 ? 4 * i : 0);
                    }
                    ip.setLut(new LUT(red, green, blue));
                }
                default -> { }
            }
            ImagePlus imp = new ImagePlus("t" + trial, ip);
            if (trial >= 12) {
                double lo = ip.getBitDepth() == 32 ? -2.5 + r.nextDouble() : r.nextInt(ip.getBitDepth() == 8 ? 100 : 900);
                double hi = lo + (ip.getBitDepth() == 32 ? 1 + 4 * r.nextDouble() : 1 + r.nextInt(3000));
                imp.setDisplayRange(lo, Math.min(hi, ip.getBitDepth() == 8 ? 255 : hi));
            }
            int[] shown = (int[]) imp.getProcessor().convertToRGB().getPixels();
            RgbaImage mine = ImageConversion.current(imp).image();
            for (int i = 0; i < shown.length; i++) {
                int x = i % w;
                int y = i / w;
                int rgb = mine.get(x, y, 0) << 16 | mine.get(x, y, 1) << 8 | mine.get(x, y, 2);
                assertEquals(shown[i] & 0xFFFFFF, rgb, "trial " + trial + " (" + ip.getBitDepth() + "-bit, "
                        + imp.getDisplayRangeMin() + ".." + imp.getDisplayRangeMax() + ") pixel " + i);
                assertEquals(255, mine.get(x, y, 3));
            }
        }
    }

    @Test
    void indexedColourGoesThroughItsLut() throws Exception {
        ImagePlus imp = new ImagePlus("fire", new ByteProcessor(2, 1, new byte[] {0, (byte) 255}));
        imp.getProcessor().setLut(LUT.createLutFromColor(java.awt.Color.RED));
        ImageConversion.InputPlane p = ImageConversion.current(imp);
        assertEquals(255, p.image().get(1, 0, 0));
        assertEquals(0, p.image().get(1, 0, 1), "red LUT: no green");
        assertTrue(p.conversion().contains("colour LUT"), p.conversion());
    }

    @Test
    void aLayerHyperstackIsReadBackAsRgbaForRecursion() throws Exception {
        byte[] px = TinyModel.image(6, 5).rgba();
        RgbaImage a = new RgbaImage(6, 5, px);
        RgbaImage b = new RgbaImage(6, 5, new byte[6 * 5 * 4]);
        ImagePlus hs = TiffStackWriter.hyperstack(LayerDocument.of(LayerStack.of(List.of(a, b), a), null), "x-layers");
        assertTrue(hs instanceof CompositeImage);
        assertEquals(ImageConversion.Kind.RGBA_CHANNELS, ImageConversion.kind(hs));
        hs.setPosition(3, 1, 1); // any channel: the plane is the z position
        ImageConversion.InputPlane p = ImageConversion.current(hs);
        assertEquals(a, p.image(), "alpha and colours exactly");
        assertEquals("x-layers-z1", p.name());
        hs.setPosition(1, 2, 1);
        assertEquals(b, ImageConversion.current(hs).image());
        assertEquals(2, ImageConversion.positions(hs).size());

        ImageStack four = new ImageStack(6, 5);
        for (int c = 0; c < 4; c++) {
            byte[] plane = new byte[30];
            for (int i = 0; i < 30; i++) {
                plane[i] = px[4 * i + c];
            }
            four.addSlice(List.of("red", "green", "blue", "alpha").get(c), new ByteProcessor(6, 5, plane));
        }
        ImagePlus slices = new ImagePlus("rgba.png", four);
        assertEquals(ImageConversion.Kind.RGBA_SLICES, ImageConversion.kind(slices));
        assertEquals(a, ImageConversion.current(slices).image());
        assertEquals("rgba", ImageConversion.current(slices).name());
    }

    @Test
    void stacksGiveTheCurrentPlaneAndBatchGetsEveryPlane() throws Exception {
        ImageStack st = new ImageStack(3, 2);
        for (int z = 0; z < 3; z++) {
            byte[] v = new byte[6];
            java.util.Arrays.fill(v, (byte) (10 * (z + 1)));
            st.addSlice(new ByteProcessor(3, 2, v));
        }
        ImagePlus imp = new ImagePlus("stack.tif", st);
        imp.setSlice(2);
        ImageConversion.InputPlane p = ImageConversion.current(imp);
        assertEquals(20, p.image().get(0, 0, 0));
        assertEquals("stack-z2", p.name());
        List<ImageConversion.Position> all = ImageConversion.positions(imp);
        assertEquals(3, all.size());
        assertEquals(30, ImageConversion.plane(imp, all.get(2)).image().get(1, 1, 1));
        assertEquals("img-z3", ImageConversion.plane(imp, all.get(2), "img").name());

        ImagePlus hyper = IJ.createImage("hyper", "8-bit black", 4, 4, 1, 2, 3);
        hyper.setPosition(1, 2, 3);
        assertEquals("hyper-z2-t3", ImageConversion.current(hyper).name());
        assertEquals(6, ImageConversion.positions(hyper).size());
    }

    @Test
    void tinyAndExtremeShapesConvert() throws Exception {
        assertEquals(1, ImageConversion.current(FijiFixtures.rgb("dot", 1, 1)).width());
        ImageConversion.InputPlane wide = ImageConversion.current(FijiFixtures.rgb("wide", 5000, 300));
        assertEquals(5000, wide.width());
        assertEquals(300, wide.height());
    }

    @Test
    void anythingElseIsAClearMessage() {
        assertMessage(null, "no image: open an image first");
        assertMessage(new ImagePlus(), "has no pixel data (empty image or empty stack)");
        ImagePlus three = IJ.createImage("three", "8-bit black", 4, 4, 3, 1, 1);
        assertMessage(three, "has 3 channels");
        ImagePlus fourNoAlpha = IJ.createImage("four", "8-bit black", 4, 4, 4, 1, 1);
        assertMessage(fourNoAlpha, "has 4 channels");
        assertThrows(IllegalArgumentException.class, () -> new ImagePlus("empty", new ImageStack(4, 4)),
                "ImageJ itself refuses an ImagePlus with an empty stack");
    }

    @Test
    void titlesBecomeSafeNames() {
        assertEquals("cat", ImageConversion.baseName("cat.png"));
        assertEquals("a_b", ImageConversion.baseName("a/b.tif"));
        assertEquals("x.y", ImageConversion.baseName("x.y"));
        assertEquals("image", ImageConversion.baseName(" "));
        assertEquals(".png", ImageConversion.baseName(".png"));
    }

    private static void assertMessage(ImagePlus imp, String expected) {
        DecomposeException e = assertThrows(DecomposeException.class, () -> ImageConversion.current(imp));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
