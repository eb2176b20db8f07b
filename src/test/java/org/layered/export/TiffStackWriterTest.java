package org.layered.export;

import ij.CompositeImage;
import ij.IJ;
import ij.ImagePlus;
import ij.ImageStack;
import ij.Prefs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layered.image.RgbaImage;
import org.layered.layers.Compositor;
import org.layered.layers.LayerStack;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class TiffStackWriterTest {
    @TempDir
    Path dir;

    private void checkTiff(LayerStack stack, List<String> names, List<String> expectedNames) throws Exception {
        Path tif = dir.resolve("layers.tif");
        new TiffStackWriter().write(stack, names, tif);
        assertFalse(Files.exists(dir.resolve("layers.tif.part")));
        ImagePlus imp = IJ.openImage(tif.toString());
        assertNotNull(imp, "ImageJ could not open " + tif);
        int n = stack.size();
        RgbaImage first = stack.layers().get(0);
        assertEquals(first.width(), imp.getWidth());
        assertEquals(first.height(), imp.getHeight());
        assertEquals(ImagePlus.GRAY8, imp.getType());
        assertEquals(4, imp.getNChannels());
        assertEquals(n, imp.getNSlices());
        assertEquals(1, imp.getNFrames());
        assertTrue(imp.isComposite(), "opens as a composite hyperstack");
        assertEquals(CompositeImage.COMPOSITE, ((CompositeImage) imp).getMode());
        ImageStack planes = imp.getStack();
        assertEquals(4 * n, planes.getSize());
        for (int z = 1; z <= n; z++) {
            RgbaImage layer = stack.layers().get(z - 1); // Z=1 is the bottom layer
            for (int c = 1; c <= 4; c++) {
                int index = imp.getStackIndex(c, z, 1);
                assertEquals(TiffStackWriter.CHANNEL_LABELS.get(c - 1), planes.getSliceLabel(index));
                byte[] p = (byte[]) planes.getPixels(index);
                for (int y = 0; y < layer.height(); y++) {
                    for (int x = 0; x < layer.width(); x++) {
                        assertEquals(layer.get(x, y, c - 1), p[y * layer.width() + x] & 0xFF,
                                "z=" + z + " c=" + c + " (" + x + "," + y + ")");
                    }
                }
            }
        }
        String info = imp.getInfoProperty();
        assertNotNull(info, "Info survives");
        for (int z = 1; z <= n; z++) {
            assertTrue(info.contains("layer " + z), info);
            assertTrue(info.contains(expectedNames.get(z - 1)), info);
            assertEquals(expectedNames.get(z - 1), imp.getProp("layer." + z + ".name"));
        }
    }

    @Test
    void hyperstackReopensWithChannelsLayersLabelsAndNames() throws Exception {
        List<String> names = TestStacks.names(3);
        checkTiff(TestStacks.random(40, 30, 3, 21), names, names);
    }

    @Test
    void onePixelOddSizeAndTenLayers() throws Exception {
        RgbaImage px = new RgbaImage(1, 1, new byte[] {9, 8, 7, 6});
        checkTiff(new LayerStack(List.of(px), Compositor.over(List.of(px)), null), null, List.of("Layer 1"));
        checkTiff(TestStacks.random(5, 3, 2, 22), null, List.of("Layer 1", "Layer 2"));
        List<String> names = TestStacks.names(10);
        List<String> expected = new ArrayList<>(names);
        expected.set(4, "Layer 5");
        checkTiff(TestStacks.random(11, 13, 10, 23), names, expected);
    }

    @Test
    void bigEndianWithoutChangingTheUsersByteOrderPreference() throws Exception {
        boolean before = Prefs.intelByteOrder;
        try {
            for (boolean pref : new boolean[] {true, false}) {
                Prefs.intelByteOrder = pref;
                Path tif = dir.resolve("be-" + pref + ".tif");
                new TiffStackWriter().write(TestStacks.random(3, 2, 1, 25), null, tif);
                byte[] head = Arrays.copyOf(Files.readAllBytes(tif), 4);
                assertArrayEquals(new byte[] {'M', 'M', 0, 42}, head);
                assertEquals(pref, Prefs.intelByteOrder);
            }
        } finally {
            Prefs.intelByteOrder = before;
        }
    }

    @Test
    void inMemoryHyperstackHasTheSameLayout() {
        LayerStack stack = TestStacks.random(6, 4, 2, 24);
        ImagePlus imp = TiffStackWriter.hyperstack(LayerDocument.of(stack, null), "t");
        assertEquals(4, imp.getNChannels());
        assertEquals(2, imp.getNSlices());
        assertEquals("alpha", imp.getStack().getSliceLabel(imp.getStackIndex(4, 2, 1)));
        assertEquals(stack.layers().get(1).get(3, 2, 3),
                imp.getStack().getProcessor(imp.getStackIndex(4, 2, 1)).get(3, 2));
    }

    @Test
    void thePixelSizeIsTheCalibrationAndTheNestingComesBack() throws Exception {
        LayerDocument doc = TestStacks.nested(9, 5, 17);
        Path tif = dir.resolve("nested.tif");
        new TiffStackWriter().write(doc, tif);
        ImagePlus imp = IJ.openImage(tif.toString());
        assertEquals(0.5, imp.getCalibration().pixelWidth, 1e-12);
        assertEquals(0.5, imp.getCalibration().pixelHeight, 1e-12);
        assertEquals("µm", imp.getCalibration().getUnit());
        assertEquals(4, imp.getNSlices(), "the leaves, in order");
        assertEquals("2.1", imp.getProp("layer.2.path"));
        assertEquals("Layer 2", imp.getProp("group.2.name"));
        LayerDocument back = LayerFiles.read(tif);
        assertEquals(doc.tree(), back.tree());
        assertEquals(doc.pixelSize(), back.pixelSize());
        // the TIFF tags ImageJ wrote: XResolution is pixels per unit, the unit in ImageJ's description
        ij.io.FileInfo[] info = new ij.io.TiffDecoder(dir + "/", "nested.tif").getTiffInfo();
        assertEquals(0.5, info[0].pixelWidth, 1e-12);
        assertTrue(info[0].description.contains("unit="), info[0].description);
    }

    @Test
    void aHyperstackEditedByHandReadsBackFlatAndOtherImagesAreRefused() {
        LayerDocument doc = TestStacks.nested(6, 4, 18);
        ImagePlus imp = TiffStackWriter.hyperstack(doc, "x");
        imp.setProp("layer.3.path", "7"); // no longer a tree
        LayerDocument back = TiffStackWriter.document(imp);
        assertFalse(back.tree().isNested());
        assertEquals(doc.tree().images(), back.tree().images());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TiffStackWriter.document(IJ.createImage("rgb", "RGB", 4, 4, 1)));
        assertTrue(e.getMessage().contains("is not a layer hyperstack"), e.getMessage());
    }
}
