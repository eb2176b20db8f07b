package org.layered.export;

import com.google.gson.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layered.engine.Cancellation;
import org.layered.image.RgbaImage;
import org.layered.layers.LayerTree;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.*;

/** Results read back: every format a result folder holds, files edited elsewhere, and what cannot be read. */
class LayerFilesTest {
    @TempDir
    Path dir;

    private static JsonObject manifest(LayerDocument doc, boolean png) {
        JsonObject m = new JsonObject();
        m.addProperty("generator", "Layered (test)");
        Manifest.layerTree(m, doc.tree(), png);
        Manifest.pixelSize(m, doc.pixelSize());
        return m;
    }

    private Path save(LayerDocument doc, String name, String formats) throws IOException {
        Path out = dir.resolve(name);
        try (OutputFolder f = OutputFolder.claim(out, 0)) {
            f.write(doc, LayerExporters.forList(formats), manifest(doc, formats.contains("png")), new Cancellation());
        }
        return out;
    }

    @Test
    void aResultFolderReadsBackFromEachFormatWithItsTreeAndPixelSize() throws Exception {
        LayerDocument doc = TestStacks.nested(14, 9, 20);
        for (String formats : new String[] {"png", "ora", "tiff", "psd,tiff"}) {
            Path out = save(doc, "r-" + formats.replace(',', '-'), formats);
            LayerDocument back = LayerFiles.read(out);
            assertEquals(doc.tree(), back.tree(), formats);
            assertEquals(doc.pixelSize(), back.pixelSize(), "the manifest's pixel size, " + formats);
            assertEquals(doc.composite(), back.composite(), formats);
        }
        assertTrue(Files.isRegularFile(dir.resolve("r-png/layer-2-1.png")));
    }

    @Test
    void anOraFromAnotherEditorWithOffsetsOpacityAndHiddenLayers() throws Exception {
        RgbaImage small = new RgbaImage(2, 2, new byte[] {10, 20, 30, (byte) 255, 10, 20, 30, (byte) 255,
                10, 20, 30, (byte) 255, 10, 20, 30, (byte) 200});
        Path ora = dir.resolve("gimp.ora");
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(ora))) {
            zip.putNextEntry(new ZipEntry("mimetype"));
            zip.write(OraWriter.MIMETYPE.getBytes(StandardCharsets.US_ASCII));
            zip.putNextEntry(new ZipEntry("stack.xml"));
            zip.write(("<image w='5' h='4'><stack>"
                    + "<layer name='hidden' src='data/a.png' visibility='hidden'/>"
                    + "<layer name='half' src='data/a.png' x='3' y='1' opacity='0.5'/>"
                    + "<layer name='moved' src='data/a.png' x='-1' y='0'/>"
                    + "</stack></image>").getBytes(StandardCharsets.UTF_8));
            zip.putNextEntry(new ZipEntry("data/a.png"));
            javax.imageio.ImageIO.write(small.toBufferedImage(), "png", zip);
        }
        LayerDocument d = LayerFiles.read(ora);
        assertEquals(List.of("moved", "half"), d.leafNames(), "bottom to top, the hidden one left out");
        RgbaImage moved = d.tree().images().get(0);
        assertEquals(5, moved.width());
        assertEquals(255, moved.get(0, 0, 3), "x = -1: the second column lands at 0");
        assertEquals(200, moved.get(0, 1, 3), "the 200-alpha pixel (1, 1) lands at (0, 1)");
        assertEquals(0, moved.get(2, 0, 3));
        RgbaImage half = d.tree().images().get(1);
        assertEquals(128, half.get(3, 1, 3), "opacity 0.5 halves alpha 255");
        assertEquals(100, half.get(4, 2, 3));
        assertNull(d.pixelSize(), "no resolution given");
    }

    @Test
    void whatCannotBeReadIsOneLineNamingTheFile() throws Exception {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        IOException e = assertThrows(IOException.class, () -> LayerFiles.read(empty));
        assertTrue(e.getMessage().contains("holds no layers Layered can read"), e.getMessage());
        Path txt = Files.writeString(dir.resolve("x.txt"), "x");
        e = assertThrows(IOException.class, () -> LayerFiles.read(txt));
        assertTrue(e.getMessage().contains("not a layer file"), e.getMessage());
        Path notZip = Files.writeString(dir.resolve("bad.ora"), "not a zip");
        e = assertThrows(IOException.class, () -> LayerFiles.read(notZip));
        assertTrue(e.getMessage().startsWith(notZip.toString()), e.getMessage());
        Path out = save(TestStacks.nested(6, 5, 21), "gone", "png");
        Files.delete(out.resolve("layer-2-1.png"));
        e = assertThrows(IOException.class, () -> LayerFiles.read(out));
        assertTrue(e.getMessage().contains("layer-2-1.png: layer file not found"), e.getMessage());
        assertThrows(IOException.class, () -> LayerFiles.read(dir.resolve("missing.tif")));
    }

    @Test
    void aFlatResultOfAnEarlierVersionReadsFromItsFileList() throws Exception {
        LayerDocument doc = LayerDocument.of(TestStacks.random(7, 6, 3, 22), null);
        Path out = dir.resolve("old");
        try (OutputFolder f = OutputFolder.claim(out, 0)) {
            JsonObject m = new JsonObject();
            m.addProperty("generator", "Layered");
            com.google.gson.JsonArray order = new com.google.gson.JsonArray();
            PngStackWriter.layerNames(3).forEach(order::add);
            m.add("layers_bottom_to_top", order);
            f.write(doc, List.of(new PngStackWriter()), m, new Cancellation());
        }
        LayerDocument back = LayerFiles.read(out);
        assertEquals(doc.tree().images(), back.tree().images());
        assertEquals(List.of("Layer 1", "Layer 2", "Layer 3"), back.leafNames());
        assertFalse(back.tree().isNested());
        assertEquals(LayerTree.flat(doc.tree().images(), null), back.tree());
    }
}
