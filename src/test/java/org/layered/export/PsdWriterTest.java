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

    @Test
    void aLayerDecomposedAgainIsAGroupBetweenItsDividerAndFolderRecords() throws Exception {
        LayerDocument doc = TestStacks.nested(12, 7, 9);
        Path file = dir.resolve("nested.psd");
        new PsdWriter().write(doc, file);
        PsdFile psd = PsdFile.parse(Files.readAllBytes(file));
        List<String> names = new java.util.ArrayList<>();
        List<Integer> sections = new java.util.ArrayList<>();
        for (PsdFile.Layer l : psd.layers) {
            names.add(l.unicodeName());
            byte[] lsct = l.tagged.get("lsct");
            sections.add(lsct == null ? 0 : java.nio.ByteBuffer.wrap(lsct).getInt());
        }
        // bottom first: the group's divider below its layers, its folder record (with its name) above them
        assertEquals(List.of("Layer 1", PsdWriter.GROUP_END, "a", "b", "Layer 2", "Layer 3"), names);
        assertEquals(List.of(0, 3, 0, 0, 1, 0), sections);
        assertEquals(-6, psd.layerCount);
        for (int i : new int[] {1, 4}) {
            PsdFile.Layer g = psd.layers.get(i);
            assertEquals(0, g.right - g.left, "a group record has no pixels");
            assertEquals(0x10, g.flags & 0x10, "pixel data irrelevant");
        }
        // read back as a reader nests them: a divider opens a group, a folder record closes and names it
        List<RgbaImage> leaves = new java.util.ArrayList<>();
        java.util.Deque<List<String>> open = new java.util.ArrayDeque<>();
        List<String> top = new java.util.ArrayList<>();
        open.push(top);
        for (int i = 0; i < psd.layers.size(); i++) {
            int type = sections.get(i);
            if (type == 3) {
                open.push(new java.util.ArrayList<>());
            } else if (type == 1) {
                List<String> group = open.pop();
                open.peek().add(names.get(i) + group);
            } else {
                open.peek().add(names.get(i));
                leaves.add(psd.layers.get(i).image());
            }
        }
        assertEquals(List.of("Layer 1", "Layer 2[a, b]", "Layer 3"), top);
        assertEquals(doc.tree().images(), leaves);
        assertEquals(doc.composite(), Compositor.over(leaves));
    }

    @Test
    void resolutionInfoCarriesThePixelSize() throws Exception {
        LayerStack stack = TestStacks.random(8, 6, 1, 10);
        java.util.function.Function<org.layered.image.PixelSize, int[]> resolution = p -> {
            try {
                Path f = dir.resolve("r.psd");
                new PsdWriter().write(LayerDocument.of(stack, null).withPixelSize(p), f);
                java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(PsdFile.parse(Files.readAllBytes(f)).resources
                        .get(0x03ED));
                return new int[] {b.getInt(0), b.getShort(4), b.getShort(6), b.getInt(8)};
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        };
        // 0.01 cm pixels: 254 ppi, shown per centimetre
        int[] cm = resolution.apply(new org.layered.image.PixelSize(0.01, 0.02, "cm"));
        assertEquals(254.0, cm[0] / 65536.0, 1e-4);
        assertEquals(127.0, cm[3] / 65536.0, 1e-4);
        assertEquals(2, cm[1], "PPCM");
        assertEquals(2, cm[2], "centimetres");
        int[] inch = resolution.apply(new org.layered.image.PixelSize(1.0 / 300, 1.0 / 300, "inch"));
        assertEquals(300.0, inch[0] / 65536.0, 1e-3);
        assertEquals(1, inch[1], "PPI");
        // 1 µm pixels: 25400 ppi fit; 0.25 µm (101600 ppi) do not: the default 72
        assertEquals(25400.0, resolution.apply(new org.layered.image.PixelSize(1, 1, "µm"))[0] / 65536.0, 1e-2);
        assertEquals(72.0, resolution.apply(new org.layered.image.PixelSize(0.25, 0.25, "micron"))[0] / 65536.0);
        assertFalse(PsdWriter.resolution(new org.layered.image.PixelSize(0.25, 0.25, "micron")).stored());
        assertEquals(72.0, resolution.apply(new org.layered.image.PixelSize(3, 3, "pixel"))[0] / 65536.0);
        assertEquals(72.0, resolution.apply(null)[0] / 65536.0);
    }
}
