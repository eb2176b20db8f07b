package org.layered.export;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layered.image.RgbaImage;
import org.layered.layers.Compositor;
import org.layered.layers.LayerStack;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;

import static org.junit.jupiter.api.Assertions.*;

class OraWriterTest {
    @TempDir
    Path dir;

    /** Entries in file order with their contents, read with ZipInputStream (local headers, as streaming readers do). */
    private static Map<String, byte[]> entries(Path ora, List<ZipEntry> meta) throws Exception {
        Map<String, byte[]> out = new LinkedHashMap<>();
        try (ZipInputStream zin = new ZipInputStream(Files.newInputStream(ora))) {
            for (ZipEntry e; (e = zin.getNextEntry()) != null; ) {
                meta.add(e);
                out.put(e.getName(), zin.readAllBytes());
            }
        }
        return out;
    }

    private static RgbaImage png(byte[] data) throws Exception {
        return RgbaImage.fromBufferedImage(ImageIO.read(new ByteArrayInputStream(data)));
    }

    private static List<Element> layers(byte[] stackXml, int w, int h) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        Document doc = f.newDocumentBuilder().parse(new ByteArrayInputStream(stackXml));
        Element image = doc.getDocumentElement();
        assertEquals("image", image.getTagName());
        assertEquals(String.valueOf(w), image.getAttribute("w"));
        assertEquals(String.valueOf(h), image.getAttribute("h"));
        assertTrue(image.getAttribute("version").startsWith("0.0."), image.getAttribute("version"));
        List<Element> stacks = children(image, "stack");
        assertEquals(1, stacks.size(), "one root stack");
        assertEquals(1, children(image, null).size(), "only the stack under <image>");
        return children(stacks.get(0), "layer");
    }

    private static List<Element> children(Element parent, String tag) {
        List<Element> out = new ArrayList<>();
        NodeList nodes = parent.getChildNodes();
        for (int i = 0; i < nodes.getLength(); i++) {
            Node n = nodes.item(i);
            if (n instanceof Element e && (tag == null || e.getTagName().equals(tag))) {
                out.add(e);
            }
        }
        return out;
    }

    private void checkOra(LayerStack stack, List<String> names, List<String> expectedNames, int thumbW, int thumbH)
            throws Exception {
        Path ora = dir.resolve("x.ora");
        new OraWriter().write(stack, names, ora);
        assertFalse(Files.exists(dir.resolve("x.ora.part")));
        int w = stack.layers().get(0).width();
        int h = stack.layers().get(0).height();
        int n = stack.size();

        // mimetype: first local header, stored, no extra field, content at byte 38
        byte[] raw = Files.readAllBytes(ora);
        assertEquals(0x04034b50, (raw[0] & 0xFF) | (raw[1] & 0xFF) << 8 | (raw[2] & 0xFF) << 16 | (raw[3] & 0xFF) << 24);
        assertEquals(0, raw[8] | raw[9], "mimetype method = stored");
        assertEquals(0, (raw[6] & 0x08), "no data descriptor for mimetype");
        assertEquals(8, raw[26] | raw[27] << 8, "name length");
        assertEquals(0, raw[28] | raw[29], "extra field length");
        assertEquals("mimetype", new String(raw, 30, 8, StandardCharsets.US_ASCII));
        assertEquals("image/openraster", new String(raw, 38, 16, StandardCharsets.US_ASCII));

        List<ZipEntry> meta = new ArrayList<>();
        Map<String, byte[]> e = entries(ora, meta);
        List<String> order = new ArrayList<>(e.keySet());
        List<String> expectedOrder = new ArrayList<>(List.of("mimetype", "stack.xml"));
        for (int i = 1; i <= n; i++) {
            expectedOrder.add("data/layer-" + i + ".png");
        }
        expectedOrder.add("mergedimage.png");
        expectedOrder.add("Thumbnails/thumbnail.png");
        assertEquals(expectedOrder, order);
        assertEquals(ZipEntry.STORED, meta.get(0).getMethod());
        assertEquals("image/openraster", new String(e.get("mimetype"), StandardCharsets.US_ASCII));

        List<Element> layers = layers(e.get("stack.xml"), w, h);
        assertEquals(n, layers.size());
        for (int k = 0; k < n; k++) {
            Element l = layers.get(k);
            int bottomIndex = n - 1 - k; // topmost first in stack.xml
            assertEquals("data/layer-" + (bottomIndex + 1) + ".png", l.getAttribute("src"));
            assertEquals(expectedNames.get(bottomIndex), l.getAttribute("name"));
            assertEquals("0", l.getAttribute("x"));
            assertEquals("0", l.getAttribute("y"));
            assertEquals(1.0, Double.parseDouble(l.getAttribute("opacity")));
            assertEquals("visible", l.getAttribute("visibility"));
            assertEquals("svg:src-over", l.getAttribute("composite-op"));
            RgbaImage decoded = png(e.get(l.getAttribute("src")));
            assertEquals(stack.layers().get(bottomIndex), decoded, "pixels of " + l.getAttribute("src"));
        }
        assertEquals(stack.composite(), png(e.get("mergedimage.png")));
        RgbaImage thumb = png(e.get("Thumbnails/thumbnail.png"));
        assertEquals(thumbW, thumb.width());
        assertEquals(thumbH, thumb.height());

        // the central directory agrees (what ZipFile-based readers such as Krita's see)
        try (ZipFile zf = new ZipFile(ora.toFile())) {
            assertEquals(expectedOrder.size(), zf.size());
            assertEquals("mimetype", zf.entries().nextElement().getName());
            try (InputStream in = zf.getInputStream(zf.getEntry("stack.xml"))) {
                assertArrayEquals(e.get("stack.xml"), in.readAllBytes());
            }
        }
    }

    @Test
    void layersNamesCompositeAndThumbnailReadBack() throws Exception {
        LayerStack stack = TestStacks.random(600, 300, 3, 11);
        List<String> names = TestStacks.names(3);
        checkOra(stack, names, names, 256, 128);
    }

    @Test
    void tallImageKeepsAspectInThumbnail() throws Exception {
        LayerStack stack = TestStacks.transparent(100, 700, 2, 12);
        checkOra(stack, null, List.of("Layer 1", "Layer 2"), 37, 256);
    }

    @Test
    void onePixelOddSizeAndTenLayers() throws Exception {
        RgbaImage px = new RgbaImage(1, 1, new byte[] {1, 2, 3, 4});
        checkOra(new LayerStack(List.of(px), Compositor.over(List.of(px)), null), List.of("only"), List.of("only"),
                1, 1);
        checkOra(TestStacks.random(5, 3, 2, 13), null, List.of("Layer 1", "Layer 2"), 5, 3);
        List<String> names = TestStacks.names(10);
        List<String> expected = new ArrayList<>(names);
        expected.set(4, "Layer 5");
        checkOra(TestStacks.random(19, 7, 10, 14), names, expected, 19, 7);
    }

    @Test
    void thumbnailAveragesPremultiplied() {
        // 512x1 -> 256x1: opaque red next to fully transparent green must stay pure red at half alpha
        byte[] px = new byte[512 * 4];
        for (int x = 0; x < 512; x++) {
            boolean red = x % 2 == 0;
            px[4 * x] = (byte) (red ? 255 : 0);
            px[4 * x + 1] = (byte) (red ? 0 : 255);
            px[4 * x + 3] = (byte) (red ? 255 : 0);
        }
        RgbaImage t = OraWriter.thumbnail(new RgbaImage(512, 1, px), 256);
        assertEquals(256, t.width());
        assertEquals(1, t.height());
        for (int x = 0; x < 256; x++) {
            assertEquals(255, t.get(x, 0, 0));
            assertEquals(0, t.get(x, 0, 1));
            assertEquals(128, t.get(x, 0, 3));
        }
    }

    @Test
    void replacesAnExistingFile() throws Exception {
        Path ora = dir.resolve("x.ora");
        Files.writeString(ora, "old");
        new OraWriter().write(TestStacks.random(4, 4, 1, 15), null, ora);
        assertEquals("PK", new String(Files.readAllBytes(ora), 0, 2, StandardCharsets.US_ASCII));
    }

    @Test
    void aLayerDecomposedAgainIsANestedStackAndTheResolutionIsThePixelSize() throws Exception {
        LayerDocument doc = TestStacks.nested(10, 6, 16);
        Path ora = dir.resolve("nested.ora");
        new OraWriter().write(doc, ora);
        Map<String, byte[]> e = entries(ora, new ArrayList<>());
        Document xml = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(e.get("stack.xml")));
        Element image = xml.getDocumentElement();
        assertEquals("50800", image.getAttribute("xres"), "0.5 µm pixels: 50800 pixels per inch");
        assertEquals("50800", image.getAttribute("yres"));
        Element root = children(image, "stack").get(0);
        List<Element> top = children(root, null); // topmost first
        assertEquals(List.of("layer", "stack", "layer"), top.stream().map(Element::getTagName).toList());
        assertEquals(List.of("Layer 3", "Layer 2", "Layer 1"), top.stream().map(x -> x.getAttribute("name")).toList());
        List<Element> sub = children(top.get(1), "layer");
        assertEquals(List.of("b", "a"), sub.stream().map(x -> x.getAttribute("name")).toList());
        assertEquals(List.of("data/layer-2-2.png", "data/layer-2-1.png"),
                sub.stream().map(x -> x.getAttribute("src")).toList());
        assertEquals(doc.tree().images().get(1), png(e.get("data/layer-2-1.png")));
        assertEquals(doc.composite(), png(e.get("mergedimage.png")));
        // and back through the reader: the same tree, the resolution as inches
        LayerDocument back = LayerFiles.read(ora);
        assertEquals(doc.tree(), back.tree());
        assertEquals(0.5, back.pixelSize().width() * back.pixelSize().millimetresPerUnit() * 1000, 1e-9);
    }
}
