package org.layered.image;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import java.awt.color.ColorSpace;
import java.awt.color.ICC_ColorSpace;
import java.awt.color.ICC_Profile;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;
import static org.layered.image.TestImageFiles.png;
import static org.layered.image.TestImageFiles.u16;
import static org.layered.image.TestImageFiles.u8;

/**
 * Files read as Pillow's {@code Image.open(f).convert("RGBA")} reads them. Every file is built here; the expected
 * values follow Pillow's rules (Unpack.c, Convert.c, GifImagePlugin), computed in the test, never taken from the
 * reader.
 */
class ImageFileReaderTest {
    @TempDir
    Path dir;

    private Path file(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    private static int[] px(RgbaImage img, int x, int y) {
        return new int[] {img.get(x, y, 0), img.get(x, y, 1), img.get(x, y, 2), img.get(x, y, 3)};
    }

    @Test
    void greyIsTakenAsStoredNotAsLinearLight() throws Exception {
        // Java2D's getRGB reads grey as linear light: stored 53 came out as 126
        DecodedImage d = ImageFileReader.read(file("g.png", png(3, 1, 8, 0, new byte[][] {u8(53, 0, 255)}, null,
                null)));
        assertArrayEquals(new int[] {53, 53, 53, 255}, px(d.image(), 0, 0));
        assertArrayEquals(new int[] {0, 0, 0, 255}, px(d.image(), 1, 0));
        assertArrayEquals(new int[] {255, 255, 255, 255}, px(d.image(), 2, 0));
        assertEquals(List.of(), d.notes());
        // grey + alpha (LA), and a tRNS grey key colour
        d = ImageFileReader.read(file("la.png", png(2, 1, 8, 4, new byte[][] {u8(53, 9, 7, 200)}, null, null)));
        assertArrayEquals(new int[] {53, 53, 53, 9}, px(d.image(), 0, 0));
        assertArrayEquals(new int[] {7, 7, 7, 200}, px(d.image(), 1, 0));
        d = ImageFileReader.read(file("gt.png", png(2, 1, 8, 0, new byte[][] {u8(53, 7)}, null, u16(53))));
        assertArrayEquals(new int[] {53, 53, 53, 0}, px(d.image(), 0, 0));
        assertArrayEquals(new int[] {7, 7, 7, 255}, px(d.image(), 1, 0));
    }

    @Test
    void lowBitDepthGreyIsScaledLikePillowsUnpackers() throws Exception {
        // 2-bit samples 0, 1, 2, 3 -> v * 0x55; 4-bit 15, 1 -> v * 0x11; 1-bit 0, 1 -> 0, 255
        RgbaImage two = ImageFileReader.read(file("g2.png", png(4, 1, 2, 0, new byte[][] {u8(0b00011011)}, null,
                null))).image();
        for (int x = 0; x < 4; x++) {
            assertEquals(x * 0x55, two.get(x, 0, 0));
        }
        RgbaImage four = ImageFileReader.read(file("g4.png", png(2, 1, 4, 0, new byte[][] {u8(0xF1)}, null,
                null))).image();
        assertEquals(255, four.get(0, 0, 1));
        assertEquals(0x11, four.get(1, 0, 2));
        RgbaImage one = ImageFileReader.read(file("g1.png", png(2, 1, 1, 0, new byte[][] {u8(0b01000000)}, null,
                null))).image();
        assertEquals(0, one.get(0, 0, 0));
        assertEquals(255, one.get(1, 0, 0));
    }

    @Test
    void paletteWithTransparencyGivesThePaletteEntryAndItsAlpha() throws Exception {
        byte[] plte = u8(10, 20, 30, 40, 50, 60, 70, 80, 90);
        byte[] trns = u8(128, 0); // entry 2 has no tRNS value: opaque
        RgbaImage img = ImageFileReader.read(file("p.png", png(3, 1, 8, 3, new byte[][] {u8(0, 1, 2)}, plte, trns)))
                .image();
        assertArrayEquals(new int[] {10, 20, 30, 128}, px(img, 0, 0));
        assertArrayEquals(new int[] {40, 50, 60, 0}, px(img, 1, 0));
        assertArrayEquals(new int[] {70, 80, 90, 255}, px(img, 2, 0));
        // 4-bit palette indices
        img = ImageFileReader.read(file("p4.png", png(2, 1, 4, 3, new byte[][] {u8(0x21)}, plte, null))).image();
        assertArrayEquals(new int[] {70, 80, 90, 255}, px(img, 0, 0));
        assertArrayEquals(new int[] {40, 50, 60, 255}, px(img, 1, 0));
    }

    @Test
    void sixteenBitSamplesKeepTheirHighByte() throws Exception {
        // Pillow's RGB;16B / RGBA;16B / LA;16B unpackers take the most significant byte
        DecodedImage d = ImageFileReader.read(file("rgb16.png", png(1, 1, 16, 2, new byte[][] {u16(0x12FF, 0x3400,
                0xFF01)}, null, null)));
        assertArrayEquals(new int[] {0x12, 0x34, 0xFF, 255}, px(d.image(), 0, 0));
        assertTrue(d.notes().get(0).startsWith("16-bit samples reduced to 8 bits"), d.notes().toString());
        d = ImageFileReader.read(file("rgba16.png", png(1, 1, 16, 6, new byte[][] {u16(0x0102, 0x0304, 0x0506,
                0x8899)}, null, null)));
        assertArrayEquals(new int[] {1, 3, 5, 0x88}, px(d.image(), 0, 0));
        d = ImageFileReader.read(file("la16.png", png(1, 1, 16, 4, new byte[][] {u16(6000, 0x4321)}, null, null)));
        assertArrayEquals(new int[] {23, 23, 23, 0x43}, px(d.image(), 0, 0));
        // a 16-bit key colour matches all 16 bits (PNG specification)
        d = ImageFileReader.read(file("rgb16t.png", png(2, 1, 16, 2, new byte[][] {u16(0x1234, 0x5678, 0x9ABC,
                0x1200, 0x5600, 0x9A00)}, null, u16(0x1234, 0x5678, 0x9ABC))));
        assertArrayEquals(new int[] {0x12, 0x56, 0x9A, 0}, px(d.image(), 0, 0));
        assertArrayEquals(new int[] {0x12, 0x56, 0x9A, 255}, px(d.image(), 1, 0));
    }

    @Test
    void sixteenBitGreyIsScaledAndSaysSo() throws Exception {
        // the example: 6000 was read as 85 (linear light); scaled it is 6000 / 256 = 23
        DecodedImage d = ImageFileReader.read(file("g16.png", png(3, 1, 16, 0, new byte[][] {u16(6000, 255, 65535)},
                null, null)));
        assertArrayEquals(new int[] {23, 23, 23, 255}, px(d.image(), 0, 0));
        assertEquals(0, d.image().get(1, 0, 0));
        assertEquals(255, d.image().get(2, 0, 0));
        assertEquals(1, d.notes().size(), d.notes().toString());
        assertTrue(d.notes().get(0).contains("16-bit grey scaled to 8 bits"), d.notes().toString());
    }

    private static final int[][] INKS = {{200, 10, 30, 40}, {0, 0, 0, 0}, {255, 255, 255, 255}, {50, 100, 150, 20}};
    private static final int[][] CENTRES = {{8, 8}, {24, 8}, {8, 24}, {24, 24}};

    /** Convert.c cmyk2rgb, written out independently: 255 - K - round(C * (255 - K) / 255), clipped. */
    private static int pillowCmyk(int ink, int k) {
        return (int) Math.max(0, Math.min(255, 255 - k - Math.round(ink * (255 - k) / 255.0)));
    }

    @Test
    void cmykJpegWithoutProfileIsConvertedWithPillowsFormula() throws Exception {
        DecodedImage d = ImageFileReader.read(file("cmyk.jpg", TestImageFiles.adobeJpeg(INKS, false, null)));
        for (int q = 0; q < 4; q++) {
            int[] p = px(d.image(), CENTRES[q][0], CENTRES[q][1]);
            for (int c = 0; c < 3; c++) {
                assertEquals(pillowCmyk(INKS[q][c], INKS[q][3]), p[c], 1, "quadrant " + q + " channel " + c);
            }
            assertEquals(255, p[3]);
        }
        assertTrue(d.notes().contains("CMYK converted to RGB with Pillow's formula (the file has no ICC profile)"),
                d.notes().toString());
    }

    @Test
    void ycckJpegIsReadAsTheSameInks() throws Exception {
        DecodedImage d = ImageFileReader.read(file("ycck.jpg", TestImageFiles.adobeJpeg(INKS, true, null)));
        for (int q = 0; q < 4; q++) {
            int[] p = px(d.image(), CENTRES[q][0], CENTRES[q][1]);
            for (int c = 0; c < 3; c++) {
                // YCbCr coding of the inks rounds each way once
                assertEquals(pillowCmyk(INKS[q][c], INKS[q][3]), p[c], 3, "quadrant " + q + " channel " + c);
            }
        }
    }

    @Test
    void cmykJpegWithAnEmbeddedProfileIsConvertedThroughIt() throws Exception {
        byte[] icc = TestImageFiles.cmykProfile();
        DecodedImage d = ImageFileReader.read(file("cmyk-icc.jpg", TestImageFiles.adobeJpeg(INKS, false, icc)));
        // reference: the JDK's colour management applied to the inks with the same profile
        ColorSpace cs = new ICC_ColorSpace(ICC_Profile.getInstance(icc));
        BufferedImage ink = new BufferedImage(new java.awt.image.ComponentColorModel(cs, false, false,
                java.awt.Transparency.OPAQUE, java.awt.image.DataBuffer.TYPE_BYTE),
                java.awt.image.Raster.createInterleavedRaster(java.awt.image.DataBuffer.TYPE_BYTE, 4, 1, 4, null),
                false, null);
        for (int q = 0; q < 4; q++) {
            ink.getRaster().setPixel(q, 0, INKS[q]);
        }
        BufferedImage want = new java.awt.image.ColorConvertOp(cs, ColorSpace.getInstance(ColorSpace.CS_sRGB), null)
                .filter(ink, new BufferedImage(4, 1, BufferedImage.TYPE_INT_RGB));
        boolean differsFromFormula = false;
        for (int q = 0; q < 4; q++) {
            int[] p = px(d.image(), CENTRES[q][0], CENTRES[q][1]);
            int rgb = want.getRGB(q, 0);
            int[] w = {rgb >> 16 & 0xFF, rgb >> 8 & 0xFF, rgb & 0xFF};
            for (int c = 0; c < 3; c++) {
                assertEquals(w[c], p[c], 2, "quadrant " + q + " channel " + c);
                differsFromFormula |= Math.abs(p[c] - pillowCmyk(INKS[q][c], INKS[q][3])) > 10;
            }
        }
        assertTrue(differsFromFormula, "the profile must matter for this test to mean anything");
        assertTrue(d.notes().get(0).contains("embedded ICC profile"), d.notes().toString());
    }

    @Test
    void gifFramesAreComposedAsPillowShowsThem() throws Exception {
        int red = 0xFF0000;
        int green = 0x00FF00;
        int blue = 0x0000FF;
        int white = 0xFFFFFF;
        int[] screen = new int[8 * 6];
        for (int i = 0; i < screen.length; i++) {
            screen[i] = i % 8 < 4 ? 0 : 3; // left half red, right half transparent (index 3)
        }
        byte[] gif = TestImageFiles.gif(new int[] {red, green, blue, white}, List.of(
                new TestImageFiles.GifFrame(0, 0, 8, 6, screen, 3, "doNotDispose"),
                new TestImageFiles.GifFrame(2, 2, 4, 2, new int[] {1, 1, 3, 3, 2, 2, 2, 2}, 3,
                        "restoreToBackgroundColor"),
                new TestImageFiles.GifFrame(0, 0, 2, 2, new int[] {2, 2, 2, 2}, -1, "none")));
        Path f = file("anim.gif", gif);
        assertEquals(3, ImageFileReader.frameCount(f));

        DecodedImage d1 = ImageFileReader.read(f);
        assertEquals(List.of("frame 1 of 3"), d1.notes());
        assertArrayEquals(new int[] {255, 0, 0, 255}, px(d1.image(), 1, 1));
        assertArrayEquals(new int[] {255, 255, 255, 0}, px(d1.image(), 6, 1), "transparent index: its colour, "
                + "alpha 0");

        RgbaImage f2 = ImageFileReader.read(f, 2).image();
        assertArrayEquals(new int[] {0, 255, 0, 255}, px(f2, 2, 2));
        assertArrayEquals(new int[] {0, 255, 0, 255}, px(f2, 3, 2));
        assertArrayEquals(new int[] {255, 0, 0, 255}, px(f2, 4 - 1, 1), "outside frame 2: frame 1 stays");
        assertArrayEquals(new int[] {255, 255, 255, 0}, px(f2, 4, 2), "transparent pixel of frame 2 keeps the "
                + "canvas");
        assertArrayEquals(new int[] {0, 0, 255, 255}, px(f2, 5, 3));

        // frame 2 disposes to the transparent colour; frame 3 (disposal unspecified) draws blue at the corner
        RgbaImage f3 = ImageFileReader.read(f, 3).image();
        assertArrayEquals(new int[] {255, 255, 255, 0}, px(f3, 2, 2));
        assertArrayEquals(new int[] {255, 255, 255, 0}, px(f3, 5, 3));
        assertArrayEquals(new int[] {0, 0, 255, 255}, px(f3, 0, 0));
        assertArrayEquals(new int[] {0, 0, 255, 255}, px(f3, 1, 1));
        assertArrayEquals(new int[] {255, 0, 0, 255}, px(f3, 2, 0), "frame 1 shows where nothing else was drawn");

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ImageFileReader.read(f, 4));
        assertEquals("anim.gif has 3 frames; there is no frame 4", e.getMessage());
    }

    @Test
    void smallInterlacedGifFramesAreRefusedNotMisread() throws Exception {
        byte[] gif = TestImageFiles.gif(new int[] {0xFF0000, 0x00FF00, 0x0000FF, 0xFFFFFF}, List.of(
                new TestImageFiles.GifFrame(0, 0, 4, 2, new int[] {1, 1, 3, 3, 2, 2, 2, 2}, -1, "none")));
        // 2 rows in interlaced order are rows 0 and 1, so only the flag changes (image descriptor byte 9)
        for (int i = 13; i < gif.length; i++) {
            if (gif[i] == 0x2C) {
                gif[i + 9] |= 0x40;
                break;
            }
        }
        Path f = file("il.gif", gif);
        IOException e = assertThrows(IOException.class, () -> ImageFileReader.read(f));
        assertEquals(f + ": cannot read the image: frame 1 is interlaced and 2 rows high, which Java's GIF decoder misreads; save the GIF "
                + "without interlacing", e.getMessage());
    }

    @Test
    void tiffPagesAreFrames() throws Exception {
        Path f = dir.resolve("pages.tif");
        ImageWriter w = ImageIO.getImageWritersByFormatName("tiff").next();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(f.toFile())) {
            w.setOutput(out);
            w.prepareWriteSequence(null);
            for (int page = 0; page < 2; page++) {
                BufferedImage img = new BufferedImage(4, 3, BufferedImage.TYPE_3BYTE_BGR);
                img.getRaster().setPixel(1, 1, new int[] {10 + page, 20, 30});
                w.writeToSequence(new IIOImage(img, null, null), null);
            }
            w.endWriteSequence();
        } finally {
            w.dispose();
        }
        DecodedImage d = ImageFileReader.read(f, 2);
        assertEquals(2, d.frames());
        assertArrayEquals(new int[] {11, 20, 30, 255}, px(d.image(), 1, 1));
        assertEquals(List.of("frame 2 of 2"), d.notes());
    }

    @Test
    void floatingPointImagesAreRefusedWithTheReason() throws Exception {
        java.awt.image.ComponentColorModel cm = new java.awt.image.ComponentColorModel(
                ColorSpace.getInstance(ColorSpace.CS_GRAY), false, false, java.awt.Transparency.OPAQUE,
                java.awt.image.DataBuffer.TYPE_FLOAT);
        BufferedImage f = new BufferedImage(cm, cm.createCompatibleWritableRaster(4, 3), false, null);
        Path tif = dir.resolve("float.tif");
        assertTrue(ImageIO.write(f, "tiff", tif.toFile()));
        IOException e = assertThrows(IOException.class, () -> ImageFileReader.read(tif));
        assertEquals(tif + ": floating-point samples are not supported; save it as 8- or 16-bit", e.getMessage());
    }

    @Test
    void rgbJpegBmpAndPgmDecode() throws Exception {
        BufferedImage rgb = new BufferedImage(16, 16, BufferedImage.TYPE_3BYTE_BGR);
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 16; x++) {
                rgb.getRaster().setPixel(x, y, new int[] {200, 100, 50});
            }
        }
        Path bmp = dir.resolve("a.bmp");
        assertTrue(ImageIO.write(rgb, "bmp", bmp.toFile()));
        assertArrayEquals(new int[] {200, 100, 50, 255}, px(ImageFileReader.read(bmp).image(), 3, 3));
        Path jpg = dir.resolve("a.jpg");
        assertTrue(ImageIO.write(rgb, "jpeg", jpg.toFile()));
        int[] p = px(ImageFileReader.read(jpg).image(), 8, 8);
        assertArrayEquals(new int[] {200, 100, 50}, Arrays.copyOf(p, 3), "flat colour survives JPEG within 3: "
                + Arrays.toString(p));
        byte[] pgm = new byte[] {'P', '5', ' ', '2', ' ', '1', ' ', '2', '5', '5', '\n', 53, (byte) 250};
        assertArrayEquals(new int[] {53, 53, 53, 255}, px(ImageFileReader.read(file("a.pgm", pgm)).image(), 0, 0));
    }

    @Test
    void everyFailureNamesTheFileAndTheCause() throws Exception {
        IOException e = assertThrows(IOException.class, () -> ImageFileReader.read(dir));
        assertEquals(dir + " is a folder, not an image file", e.getMessage());
        e = assertThrows(IOException.class, () -> ImageFileReader.read(dir.resolve("missing.png")));
        assertEquals(dir.resolve("missing.png") + ": image file not found", e.getMessage());
        Path text = file("notes.png", "not an image at all".getBytes());
        e = assertThrows(IOException.class, () -> ImageFileReader.read(text));
        assertTrue(e.getMessage().startsWith(text + ": not an image Layered can read (PNG, JPEG"), e.getMessage());

        byte[] good = png(40, 40, 8, 2, rows(40, 40), null, null);
        Path cut = file("cut.png", Arrays.copyOf(good, good.length - 40));
        e = assertThrows(IOException.class, () -> ImageFileReader.read(cut));
        assertTrue(e.getMessage().startsWith(cut + ": cannot read the image: "), e.getMessage());

        BufferedImage noise = new BufferedImage(64, 64, BufferedImage.TYPE_3BYTE_BGR);
        java.util.Random r = new java.util.Random(1);
        for (int y = 0; y < 64; y++) {
            for (int x = 0; x < 64; x++) {
                noise.setRGB(x, y, r.nextInt());
            }
        }
        Path jpg = dir.resolve("whole.jpg");
        ImageIO.write(noise, "jpeg", jpg.toFile());
        byte[] bytes = Files.readAllBytes(jpg);
        Path cutJpeg = file("cut.jpg", Arrays.copyOf(bytes, bytes.length / 2));
        e = assertThrows(IOException.class, () -> ImageFileReader.read(cutJpeg));
        assertTrue(e.getMessage().contains("cut.jpg") && e.getMessage().contains("ends early"), e.getMessage());
    }

    @Test
    void hugeImagesAreRefusedFromTheirHeaderBeforeDecoding() throws Exception {
        // a 30000x30000 PNG header over a one-row body: the size alone decides, nothing is decoded
        Path huge = file("huge.png", png(30000, 30000, 8, 2, new byte[][] {new byte[90000]}, null, null));
        IOException e = assertThrows(IOException.class, () -> ImageFileReader.read(huge));
        assertTrue(e.getMessage().startsWith(huge + " is 30000x30000 (900 megapixels): too large; Layered reads "
                + "images of up to 536 megapixels"), e.getMessage());
        // more heap than this JVM has
        e = assertThrows(IOException.class, () -> ImageFileReader.checkSize(huge, 20000, 20000, 64));
        assertTrue(e.getMessage().matches(".* is 20000x20000: reading it needs about 23\\.8 GiB of Java heap, "
                + "[0-9.]+ GiB is free; give Java more memory .*"), e.getMessage());
    }

    private static byte[][] rows(int w, int h) {
        byte[][] rows = new byte[h][w * 3];
        for (int y = 0; y < h; y++) {
            for (int i = 0; i < w * 3; i++) {
                rows[y][i] = (byte) (i * 7 + y * 13);
            }
        }
        return rows;
    }

    @Test
    void thePhysicalPixelSizeAFileStatesComesAlong() throws Exception {
        // PNG pHYs: 4,000,000 pixels per metre = 0.25 µm pixels (written through the PNG metadata tree)
        Path png = dir.resolve("phys.png");
        BufferedImage img = new BufferedImage(3, 2, BufferedImage.TYPE_INT_RGB);
        ImageWriter w = ImageIO.getImageWritersByFormatName("png").next();
        javax.imageio.metadata.IIOMetadata meta = w.getDefaultImageMetadata(
                new javax.imageio.ImageTypeSpecifier(img), null);
        javax.imageio.metadata.IIOMetadataNode root = new javax.imageio.metadata.IIOMetadataNode(
                "javax_imageio_png_1.0");
        javax.imageio.metadata.IIOMetadataNode phys = new javax.imageio.metadata.IIOMetadataNode("pHYs");
        phys.setAttribute("pixelsPerUnitXAxis", "4000000");
        phys.setAttribute("pixelsPerUnitYAxis", "2000000");
        phys.setAttribute("unitSpecifier", "meter");
        root.appendChild(phys);
        meta.mergeTree("javax_imageio_png_1.0", root);
        try (ImageOutputStream out = ImageIO.createImageOutputStream(png.toFile())) {
            w.setOutput(out);
            w.write(new IIOImage(img, null, meta));
        }
        PixelSize p = ImageFileReader.read(png).pixelSize();
        assertNotNull(p);
        assertEquals("µm", p.unit());
        assertEquals(0.25, p.width(), 1e-6);
        assertEquals(0.5, p.height(), 1e-6);
        // ImageJ's TIFF of a calibrated image: resolution tags in centimetres
        Path tif = dir.resolve("cal.tif");
        ij.ImagePlus imp = ij.IJ.createImage("cal", "8-bit ramp", 4, 3, 1);
        imp.getCalibration().pixelWidth = 0.02;
        imp.getCalibration().pixelHeight = 0.02;
        imp.getCalibration().setUnit("cm");
        assertTrue(new ij.io.FileSaver(imp).saveAsTiff(tif.toString()));
        PixelSize t = ImageFileReader.read(tif).pixelSize();
        assertNotNull(t);
        assertEquals(0.2, t.width() * t.millimetresPerUnit(), 1e-6);
        // a PNG without pHYs states none
        Path plain = dir.resolve("plain.png");
        ImageIO.write(img, "png", plain.toFile());
        assertNull(ImageFileReader.read(plain).pixelSize());
    }
}
