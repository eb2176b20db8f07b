package org.layered.export;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layered.image.RgbaImage;
import org.layered.layers.Compositor;
import org.layered.layers.LayerStack;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class PsdWriterTest {
    @TempDir
    Path dir;

    private PsdFile writeAndParse(LayerStack stack, List<String> names, String file) throws Exception {
        Path psd = dir.resolve(file);
        new PsdWriter().write(stack, names, psd);
        assertFalse(Files.exists(dir.resolve(file + ".part")), "temporary file left behind");
        return PsdFile.parse(Files.readAllBytes(psd));
    }

    /** Header, layer records, every channel and the merged image, against the stack. */
    private static void assertMatches(LayerStack stack, List<String> expectedNames, PsdFile psd) throws Exception {
        RgbaImage first = stack.layers().get(0);
        assertEquals(4, psd.channels);
        assertEquals(first.width(), psd.width);
        assertEquals(first.height(), psd.height);
        assertEquals(8, psd.depth);
        assertEquals(3, psd.mode, "RGB");
        assertEquals(-stack.size(), psd.layerCount, "negative count: merged alpha is transparency");
        assertEquals(stack.size(), psd.layers.size());
        for (int i = 0; i < stack.size(); i++) {
            PsdFile.Layer l = psd.layers.get(i); // first record = bottom layer
            assertEquals(0, l.top);
            assertEquals(0, l.left);
            assertEquals(first.height(), l.bottom);
            assertEquals(first.width(), l.right);
            assertArrayEquals(new short[] {-1, 0, 1, 2}, l.channelIds);
            assertEquals("8BIM", l.blendSig);
            assertEquals("norm", l.blendMode);
            assertEquals(255, l.opacity);
            assertEquals(0, l.clipping);
            assertEquals(0, l.flags & 2, "visible");
            assertEquals(0, l.flags & 0x10, "pixel data relevant");
            assertEquals(expectedNames.get(i), l.unicodeName(), "luni name of layer " + i);
            String pascal = l.pascal();
            assertTrue(pascal.chars().allMatch(c -> c >= 0x20 && c < 0x7F), pascal);
            assertEquals(stack.layers().get(i), l.image(), "pixels of layer " + i);
        }
        RgbaImage composite = stack.composite();
        RgbaImage stored = psd.mergedAsStored();
        for (int y = 0; y < psd.height; y++) {
            for (int x = 0; x < psd.width; x++) {
                int a = composite.get(x, y, 3);
                assertEquals(a, stored.get(x, y, 3), "merged alpha");
                for (int c = 0; c < 3; c++) {
                    int v = composite.get(x, y, c);
                    int s = stored.get(x, y, c);
                    assertEquals(PsdWriter.overWhite(v, a), s, "merged colour over white");
                    if (a == 255) {
                        assertEquals(v, s);
                    }
                    if (a >= 16) { // GIMP's and psd-tools' unblending recovers the composite within rounding
                        double back = (s + a - 255) * 255.0 / a;
                        assertEquals(v, back, 255.0 / a, "unblended merged colour");
                    }
                }
            }
        }
    }

    @Test
    void layersNamesAndMergedImageReadBack() throws Exception {
        LayerStack stack = TestStacks.random(37, 23, 4, 1);
        List<String> names = TestStacks.names(4);
        PsdFile psd = writeAndParse(stack, names, "a.psd");
        assertMatches(stack, List.of("Hintergrund (Straße)", "猫 & <dog>", "café \"quoted\" 'x'", "emoji 🐱 layer"),
                psd);
        assertEquals("Hintergrund (Stra_e)", psd.layers.get(0).pascal(), "ASCII fallback of the Pascal name");
        assertEquals("_ & <dog>", psd.layers.get(1).pascal());
        assertEquals("cafe \"quoted\" 'x'", psd.layers.get(2).pascal(), "accents dropped");
        assertEquals("emoji _ layer", psd.layers.get(3).pascal(), "one '_' per code point");
        assertTrue(psd.resources.containsKey(0x03ED), "ResolutionInfo");
    }

    @Test
    void defaultNamesAndTransparentComposite() throws Exception {
        LayerStack stack = TestStacks.transparent(16, 9, 3, 2);
        assertFalse(stack.composite().isOpaque());
        PsdFile psd = writeAndParse(stack, null, "t.psd");
        assertMatches(stack, List.of("Layer 1", "Layer 2", "Layer 3"), psd);
        assertEquals("Layer 2", psd.layers.get(1).pascal());
    }

    @Test
    void onePixelImage() throws Exception {
        RgbaImage px = new RgbaImage(1, 1, new byte[] {10, 20, 30, (byte) 128});
        LayerStack stack = new LayerStack(List.of(px), Compositor.over(List.of(px)), null);
        PsdFile psd = writeAndParse(stack, List.of("x"), "one.psd");
        assertMatches(stack, List.of("x"), psd);
    }

    @Test
    void oddSizesAndTenLayers() throws Exception {
        LayerStack odd = TestStacks.random(5, 3, 2, 3);
        assertMatches(odd, List.of("Layer 1", "Layer 2"), writeAndParse(odd, null, "odd.psd"));
        LayerStack ten = TestStacks.random(31, 17, 10, 4);
        List<String> names = TestStacks.names(10);
        PsdFile psd = writeAndParse(ten, names, "ten.psd");
        List<String> expected = new java.util.ArrayList<>(names);
        expected.set(4, "Layer 5"); // blank name -> default
        assertMatches(ten, expected, psd);
    }

    @Test
    void wideRowsWithLongRunsAndLiterals() throws Exception {
        // 700 px rows: runs longer than 128 and literal stretches longer than 128 in the same row
        int w = 700;
        int h = 3;
        byte[] a = new byte[w * h * 4];
        Random r = new Random(5);
        for (int i = 0; i < w * h; i++) {
            int x = i % w;
            boolean noise = x >= 200 && x < 500;
            a[4 * i] = (byte) (noise ? r.nextInt(256) : 7);
            a[4 * i + 1] = (byte) (noise ? r.nextInt(256) : 8);
            a[4 * i + 2] = (byte) (x % 2);
            a[4 * i + 3] = (byte) (x < 300 ? 255 : r.nextInt(256));
        }
        RgbaImage img = new RgbaImage(w, h, a);
        LayerStack stack = new LayerStack(List.of(img), Compositor.over(List.of(img)), null);
        assertMatches(stack, List.of("Layer 1"), writeAndParse(stack, null, "wide.psd"));
    }

    @Test
    void packBitsRoundTripsAndStaysWithinTheWorstCase() {
        Random r = new Random(6);
        for (int t = 0; t < 500; t++) {
            int len = 1 + r.nextInt(400);
            byte[] src = new byte[len];
            int alphabet = 1 + r.nextInt(t % 3 == 0 ? 2 : 256);
            for (int i = 0; i < len; i++) {
                src[i] = (byte) (r.nextInt(5) == 0 ? r.nextInt(alphabet) : (i > 0 ? src[i - 1] : 0));
            }
            byte[] dst = new byte[len + (len + 127) / 128];
            int n = PsdWriter.packBits(src, 0, len, dst, 0);
            assertTrue(n <= dst.length);
            byte[] back = new byte[len];
            assertEquals(len, PsdFile.unpackBits(Arrays.copyOf(dst, n), back, 0, len));
            assertArrayEquals(src, back);
            for (int i = 0; i < n; ) { // never the no-op header -128
                int h = dst[i];
                assertNotEquals(-128, h);
                i += h >= 0 ? h + 2 : 2;
            }
        }
    }

    @Test
    void overWhiteMatchesPhotoshopsMatte() {
        assertEquals(255, PsdWriter.overWhite(0, 0));
        assertEquals(0, PsdWriter.overWhite(0, 255));
        assertEquals(128, PsdWriter.overWhite(0, 127));
        assertEquals(200, PsdWriter.overWhite(200, 255));
    }

    @Test
    void refusesImagesBeyondThePsdLimit() {
        RgbaImage wide = new RgbaImage(PsdWriter.MAX_SIDE + 1, 1, new byte[(PsdWriter.MAX_SIDE + 1) * 4]);
        LayerStack stack = new LayerStack(List.of(wide), wide, null);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new PsdWriter().write(stack, null, dir.resolve("big.psd")));
        assertTrue(e.getMessage().contains("30000"), e.getMessage());
        assertTrue(e.getMessage().contains("use ORA or TIFF"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("big.psd")));
    }

    @Test
    void maximumWidthRowFitsTheRowCounts() throws Exception {
        int w = PsdWriter.MAX_SIDE;
        byte[] px = new byte[w * 4];
        new Random(7).nextBytes(px); // incompressible: every row is at its worst-case length
        RgbaImage img = new RgbaImage(w, 1, px);
        LayerStack stack = new LayerStack(List.of(img), Compositor.over(List.of(img)), null);
        PsdFile psd = writeAndParse(stack, null, "max.psd");
        assertEquals(img, psd.layers.get(0).image());
    }

    @Test
    void wrongNameCountIsRejected() {
        LayerStack stack = TestStacks.random(4, 4, 2, 8);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new PsdWriter().write(stack, List.of("only one"), dir.resolve("n.psd")));
        assertTrue(e.getMessage().contains("1 layer names for 2 layers"), e.getMessage());
    }
}
