package org.layered.export;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layered.image.RgbaImage;
import org.layered.layers.LayerStack;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class LayerExportersTest {
    @TempDir
    Path dir;

    @Test
    void knownFormatsAndAliases() {
        assertInstanceOf(PngStackWriter.class, LayerExporters.forName("png"));
        assertInstanceOf(OraWriter.class, LayerExporters.forName("ORA"));
        assertInstanceOf(OraWriter.class, LayerExporters.forName("openraster"));
        assertInstanceOf(PsdWriter.class, LayerExporters.forName(" psd "));
        assertInstanceOf(TiffStackWriter.class, LayerExporters.forName("tiff"));
        assertInstanceOf(TiffStackWriter.class, LayerExporters.forName("tif"));
        for (String f : LayerExporters.FORMATS) {
            assertEquals(f, LayerExporters.forName(f).format());
        }
        assertEquals("tif", LayerExporters.forName("tiff").extension());
        assertEquals(dir.resolve("layers.psd"), LayerExporters.forName("psd").target(dir));
        assertEquals(dir, LayerExporters.forName("png").target(dir));
        assertEquals(List.of("layer-1.png", "layer-2.png", "composite.png"),
                LayerExporters.forName("png").fileNames(2));
        assertEquals(List.of("layers.ora"), LayerExporters.forName("ora").fileNames(2));
    }

    @Test
    void unknownFormatListsTheAvailableOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LayerExporters.forName("bmp"));
        assertEquals("unknown layer export format 'bmp'; available formats: png, ora, psd, tiff", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> LayerExporters.forName(null));
        assertThrows(IllegalArgumentException.class, () -> LayerExporters.forList(" , "));
        assertThrows(IllegalArgumentException.class, () -> LayerExporters.forList("png,xcf"));
    }

    @Test
    void listKeepsOrderAndDropsDuplicates() {
        List<LayerExporter> l = LayerExporters.forList("psd, png,PSD,tif,tiff");
        assertEquals(List.of("psd", "png", "tiff"), l.stream().map(LayerExporter::format).toList());
    }

    @Test
    void pngFolderHoldsLayersAndComposite() throws Exception {
        LayerStack stack = TestStacks.random(7, 5, 3, 31);
        Path out = dir.resolve("png");
        LayerExporters.forName("png").write(stack, null, out);
        for (int i = 0; i < 3; i++) {
            assertEquals(stack.layers().get(i), PngLayerWriter.read(out.resolve("layer-" + (i + 1) + ".png")));
        }
        assertEquals(stack.composite(), PngLayerWriter.read(out.resolve("composite.png")));
        try (var files = Files.list(out)) {
            assertEquals(4, files.count());
        }
    }

    @Test
    void emptyOrMismatchedStacksAreRejected() {
        RgbaImage a = new RgbaImage(2, 2, new byte[16]);
        RgbaImage b = new RgbaImage(3, 2, new byte[24]);
        for (String f : LayerExporters.FORMATS) {
            LayerExporter x = LayerExporters.forName(f);
            assertThrows(IllegalArgumentException.class,
                    () -> x.write(new LayerStack(List.of(), a, null), null, dir.resolve("e." + x.extension())), f);
            assertThrows(IllegalArgumentException.class,
                    () -> x.write(new LayerStack(List.of(a, b), a, null), null, dir.resolve("m." + x.extension())), f);
        }
    }

    @Test
    void namesAreCleanedAndDefaulted() {
        assertEquals(List.of("Layer 1", "a b", "Layer 3"),
                LayerNames.resolve(java.util.Arrays.asList(" ", "a\u0000\tb", null), 3));
        assertEquals("Cafe _", LayerNames.ascii("Café 猫", 255));
        assertEquals("abc", LayerNames.ascii("abcdef", 3));
        assertEquals(List.of("Layer 1", "Layer 2"), LayerExporter.defaultLayerNames(2));
    }
}
