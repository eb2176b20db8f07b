package org.layered.fiji;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import ij.CompositeImage;
import ij.IJ;
import ij.ImagePlus;
import ij.gui.ImageRoi;
import ij.measure.ResultsTable;
import ij.process.ShortProcessor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layered.export.PngLayerWriter;
import org.layered.image.RgbaImage;
import org.layered.layers.AutoLayerCount;
import org.layered.engine.Cancellation;
import org.layered.pipeline.ProgressListener;
import org.layered.pipeline.ResolutionBucket;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The shared core end to end with the network stubbed out: every input type to result images, Info and files. */
class DecomposeJobTest {
    @TempDir
    Path dir;

    private final List<String> log = new ArrayList<>();

    private DecomposeJob.Outcome run(String options, ImagePlus imp, FijiFixtures.FakeDecomposer fake)
            throws DecomposeException {
        DecomposeJob job = new DecomposeJob(DecomposeOptions.parse(options), fake, log::add);
        return job.run(ImageConversion.current(imp), ProgressListener.NONE, new Cancellation());
    }

    @Test
    void hyperstackIsRgbaChannelsTimesLayersBottomFirst() throws Exception {
        ImagePlus imp = FijiFixtures.rgb("cat.png", 90, 70);
        imp.getCalibration().pixelWidth = 2;
        imp.getCalibration().pixelHeight = 2;
        imp.getCalibration().setUnit("mm");
        DecomposeJob.Outcome o = run("layers=3 seed=17 prompt=[a cat]", imp, new FijiFixtures.FakeDecomposer());
        ResolutionBucket b = ResolutionBucket.forImage(640, 90, 70);
        ImagePlus hs = o.hyperstack();
        assertEquals("cat-layers", hs.getTitle());
        assertTrue(hs instanceof CompositeImage);
        assertEquals(CompositeImage.COMPOSITE, ((CompositeImage) hs).getMode());
        assertEquals(8, hs.getBitDepth());
        assertArrayEquals(new int[] {b.width(), b.height(), 4, 3, 1}, hs.getDimensions());
        for (int z = 1; z <= 3; z++) {
            for (int c = 1; c <= 4; c++) {
                assertEquals(ResultImages.CHANNELS.get(c - 1), hs.getStack().getSliceLabel(hs.getStackIndex(c, z, 1)));
            }
        }
        // Z=1 is the bottom (opaque) layer
        RgbaImage bottom = o.output().layers().get(0);
        assertEquals(bottom.get(10, 10, 0), hs.getStack().getProcessor(hs.getStackIndex(1, 1, 1)).get(10, 10));
        assertEquals(255, hs.getStack().getProcessor(hs.getStackIndex(4, 1, 1)).get(10, 10));
        assertEquals(0, hs.getStack().getProcessor(hs.getStackIndex(4, 3, 1)).get(0, 0));
        // calibration follows the resize from 90 to the working width
        assertEquals(2.0 * 90 / b.width(), hs.getCalibration().pixelWidth, 1e-9);
        assertEquals("mm", hs.getCalibration().getUnit());
        String info = hs.getInfoProperty();
        for (String s : new String[] {"Seed: 17", "Prompt: a cat", "Steps: 50", "Layers: 3 (Z=1 bottom",
                "Recomposition error", "Timings:", "working size " + b.width() + "x" + b.height(),
                "run(\"Decompose...\", \""}) {
            assertTrue(info.contains(s), s + " in\n" + info);
        }
        assertEquals("17", hs.getProp("Layered.seed"));
        assertEquals(3, o.stats().size());
        assertEquals(1.0, o.stats().get(0).coverage(), 1e-9);
        assertEquals(0, o.stats().get(1).x() - 5);
        assertEquals(10, o.stats().get(1).y());
        assertEquals(20, o.stats().get(1).height());
    }

    @Test
    void resultsTableHasARowPerLayer() throws Exception {
        DecomposeJob.Outcome o = run("layers=2", FijiFixtures.rgb("r", 30, 20), new FijiFixtures.FakeDecomposer());
        ResultsTable rt = new ResultsTable();
        ResultImages.addRows(rt, o.title(), o.stats());
        assertEquals(2, rt.size());
        assertEquals("bottom", rt.getStringValue("Position", 0));
        assertEquals("top", rt.getStringValue("Position", 1));
        assertEquals(1.0, rt.getValue("Coverage", 0), 1e-9);
        assertTrue(rt.getValue("Width", 1) > 0);
        ResultDisplay.fillResults(o);
        assertEquals(2, ResultsTable.getResultsTable().size());
    }

    @Test
    void randomSeedIsRecordedAndLayerImagesCarryTheirTransparency() throws Exception {
        DecomposeJob.Outcome o = run("layers=2 layer_images=true hyperstack=false", FijiFixtures.rgb("r", 40, 30),
                new FijiFixtures.FakeDecomposer());
        assertNull(o.hyperstack());
        assertTrue(o.info().contains("Seed: 987654321 (random)"), o.info());
        assertEquals(2, o.layerImages().size());
        ImagePlus top = o.layerImages().get(1);
        assertEquals("r-layer-2", top.getTitle());
        assertEquals(ImagePlus.COLOR_RGB, top.getType());
        assertTrue(top.getOverlay().get(0) instanceof ImageRoi);
        assertNotNull(top.getOverlay().get(1), "outline of the covered part");
        assertEquals(ImagePlus.COLOR_RGB, o.recomposed().getType());
        assertEquals("r-recomposed", o.recomposed().getTitle());
    }

    @Test
    void originalSizeResamplesToTheInputAndKeepsItsCalibration() throws Exception {
        ImagePlus dot = FijiFixtures.rgb("dot", 1, 1);
        dot.getCalibration().pixelWidth = 3;
        DecomposeJob.Outcome o = run("layers=2 original_size=true", dot, new FijiFixtures.FakeDecomposer());
        assertArrayEquals(new int[] {1, 1, 4, 2, 1}, o.hyperstack().getDimensions());
        assertEquals(3.0, o.hyperstack().getCalibration().pixelWidth);
        assertTrue(o.info().contains("resampled to the input size 1x1"), o.info());

        DecomposeJob.Outcome wide = run("layers=2", FijiFixtures.rgb("wide", 5000, 300),
                new FijiFixtures.FakeDecomposer());
        ResolutionBucket b = ResolutionBucket.forImage(640, 5000, 300);
        assertEquals(b.width(), wide.hyperstack().getWidth());
        assertEquals(b.height(), wide.hyperstack().getHeight());
    }

    @Test
    void everyImageTypeGivesAResultOrAClearMessage() throws Exception {
        FijiFixtures.FakeDecomposer fake = new FijiFixtures.FakeDecomposer();
        ImagePlus g16 = new ImagePlus("g16", new ShortProcessor(50, 40));
        List<ImagePlus> ok = List.of(FijiFixtures.rgb("rgb", 50, 40), IJ.createImage("g8", "8-bit ramp", 50, 40, 1),
                g16, IJ.createImage("g32", "32-bit ramp", 50, 40, 1),
                IJ.createImage("stack", "8-bit ramp", 50, 40, 1, 3, 2), FijiFixtures.rgb("dot", 1, 1),
                FijiFixtures.rgb("wide", 5000, 300));
        for (ImagePlus imp : ok) {
            DecomposeJob.Outcome o = run("layers=2", imp, fake);
            assertEquals(2, o.output().size(), imp.getTitle());
            assertEquals(4, o.hyperstack().getNChannels(), imp.getTitle());
        }
        assertTrue(log.stream().anyMatch(l -> l.contains("16-bit image converted to 8-bit RGB with the display range")),
                log.toString());
        // the result of one run is a valid input of the next (recursive decomposition)
        DecomposeJob.Outcome first = run("layers=2", FijiFixtures.rgb("rgb", 50, 40), fake);
        first.hyperstack().setPosition(1, 2, 1);
        DecomposeJob.Outcome again = run("layers=2", first.hyperstack(), fake);
        assertEquals("rgb-layers-z2-layers", again.title());
        assertFalse(fake.seen.get(fake.seen.size() - 1).layers() != 2);

        ImagePlus threeChannels = IJ.createImage("c3", "8-bit black", 10, 10, 3, 1, 1);
        DecomposeException e = assertThrows(DecomposeException.class,
                () -> run("layers=2", threeChannels, fake));
        assertTrue(e.getMessage().contains("has 3 channels"), e.getMessage());
        int before = fake.calls;
        e = assertThrows(DecomposeException.class, () -> run("layers=2", new ImagePlus(), fake));
        assertTrue(e.getMessage().contains("no pixel data"), e.getMessage());
        e = assertThrows(DecomposeException.class, () -> run("layers=2", FijiFixtures.rgb("line", 20000, 1), fake));
        assertTrue(e.getMessage().contains("too extreme"), e.getMessage());
        assertEquals(before + 1, fake.calls, "bad inputs are refused before the model runs");
    }

    @Test
    void badOptionsAreRefusedBeforeTheModelRuns() {
        FijiFixtures.FakeDecomposer fake = new FijiFixtures.FakeDecomposer();
        DecomposeJob job = new DecomposeJob(DecomposeOptions.parse("output=" + dir + " formats=gif"), fake, log::add);
        DecomposeException e = assertThrows(DecomposeException.class,
                () -> job.run(ImageConversion.current(FijiFixtures.rgb("x", 8, 8)), ProgressListener.NONE,
                        new Cancellation()));
        assertTrue(e.getMessage().startsWith("unknown layer export format 'gif'"), e.getMessage());
        assertEquals(0, fake.calls);
    }

    @Test
    void savesEveryFormatWithTheManifestLast() throws Exception {
        Path out = dir.resolve("out");
        DecomposeJob.Outcome o = run("layers=2 seed=3 output=[" + out + "] formats=png,ora,psd,tiff",
                FijiFixtures.rgb("photo.jpg", 64, 48), new FijiFixtures.FakeDecomposer());
        Path folder = out.resolve("photo");
        assertEquals(folder, o.savedTo());
        for (String f : new String[] {"layer-1.png", "layer-2.png", "composite.png", "layers.ora", "layers.psd",
                "layers.tif", "manifest.json"}) {
            assertTrue(Files.isRegularFile(folder.resolve(f)), f);
        }
        assertEquals(o.output().layers().get(1), PngLayerWriter.read(folder.resolve("layer-2.png")));
        JsonObject m = JsonParser.parseString(Files.readString(folder.resolve("manifest.json"))).getAsJsonObject();
        assertEquals(3, m.get("seed").getAsLong());
        assertTrue(m.get("source").getAsString().contains("photo.jpg"));
        assertEquals(6, m.getAsJsonArray("files").size(), "every file but the manifest itself");
        assertFalse(Files.exists(out.resolve(".photo.part")));
        ImagePlus tif = IJ.openImage(folder.resolve("layers.tif").toString());
        assertEquals(ImageConversion.Kind.RGBA_CHANNELS, ImageConversion.kind(tif));

        // a second run into the same folder replaces the files
        run("layers=2 seed=4 output=[" + out + "] formats=png", FijiFixtures.rgb("photo.jpg", 64, 48),
                new FijiFixtures.FakeDecomposer());
        m = JsonParser.parseString(Files.readString(folder.resolve("manifest.json"))).getAsJsonObject();
        assertEquals(4, m.get("seed").getAsLong());
        assertFalse(Files.exists(folder.resolve("layers.ora")), "the previous result is replaced as a whole");
    }

    @Test
    void anOutputThatCannotTakeTheResultStopsTheRunBeforeComputing() throws Exception {
        Path out = Files.createDirectories(dir.resolve("out"));
        Files.writeString(out.resolve("photo"), "a file where the result folder would go");
        FijiFixtures.FakeDecomposer fake = new FijiFixtures.FakeDecomposer();
        DecomposeException e = assertThrows(DecomposeException.class, () -> run("output=[" + out + "]",
                FijiFixtures.rgb("photo.png", 32, 32), fake));
        assertEquals("cannot save there, so nothing was computed: " + out.resolve("photo") + " exists as a file; "
                + "the output must be a folder (new, empty, or a previous result)", e.getMessage());

        Files.delete(out.resolve("photo"));
        Files.createDirectories(out.resolve("photo"));
        Files.writeString(out.resolve("photo/notes.txt"), "mine");
        e = assertThrows(DecomposeException.class, () -> run("output=[" + out + "]",
                FijiFixtures.rgb("photo.png", 32, 32), fake));
        assertTrue(e.getMessage().contains("holds files that are not part of a previous Layered result (notes.txt)"),
                e.getMessage());
        assertEquals(0, fake.calls);
        assertEquals("mine", Files.readString(out.resolve("photo/notes.txt")));
        assertEquals(List.of("photo"), names(out), "nothing staged or locked is left behind");
    }

    @Test
    void aSaveThatFailsAfterComputingKeepsTheResultAndSaysWhy() throws Exception {
        Path out = Files.createDirectories(dir.resolve("out"));
        Path target = out.resolve("photo");
        FijiFixtures.FakeDecomposer fake = new FijiFixtures.FakeDecomposer() {
            @Override
            public Run decompose(RgbaImage image, DecomposeOptions options,
                    org.layered.pipeline.DecomposeSettings settings, ProgressListener progress, Cancellation c)
                    throws DecomposeException {
                try {
                    Files.writeString(target, "someone saved a file here meanwhile");
                } catch (java.io.IOException e) {
                    throw new IllegalStateException(e);
                }
                return super.decompose(image, options, settings, progress, c);
            }
        };
        DecomposeJob.Outcome o = run("layers=2 output=[" + out + "]", FijiFixtures.rgb("photo.png", 32, 32), fake);
        assertNotNull(o.hyperstack(), "the computed result is there to be shown");
        assertNull(o.savedTo());
        assertEquals("the result was not saved: " + target + " appeared as a file while the result was computed; "
                + "it was left as it is", o.saveError());
        assertTrue(log.contains("Layered: photo: " + o.saveError()), log.toString());
        assertTrue(ResultDisplay.summary(o).endsWith("; " + o.saveError()), ResultDisplay.summary(o));
        assertEquals("someone saved a file here meanwhile", Files.readString(target));
        assertEquals(List.of("photo"), names(out));
    }

    private static List<String> names(Path folder) throws java.io.IOException {
        try (var s = Files.list(folder)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void cancellationProducesNothing() {
        Cancellation cancel = new Cancellation();
        cancel.cancel();
        DecomposeJob job = new DecomposeJob(DecomposeOptions.parse("output=" + dir), new FijiFixtures.FakeDecomposer(),
                log::add);
        assertThrows(Cancellation.CancelledException.class, () -> job.run(
                ImageConversion.current(FijiFixtures.rgb("x", 8, 8)), ProgressListener.NONE, cancel));
        assertFalse(Files.exists(dir.resolve("x")));
    }

    @Test
    void autoDecomposesAtTheMaximumAndRecordsEachDecisionInInfoResultsAndManifest() throws Exception {
        FijiFixtures.FakeDecomposer fake = new FijiFixtures.FakeDecomposer();
        fake.emptyTopLayer = true;
        Path out = dir.resolve("auto");
        DecomposeJob.Outcome o = run("layers=auto max_layers=4 output=[" + out + "]", FijiFixtures.rgb("a", 64, 48),
                fake);
        assertEquals(4, fake.seen.get(0).layers(), "decomposed at max_layers");
        assertEquals(3, o.output().size(), "the transparent top layer is dropped");
        assertEquals(AutoLayerCount.Action.DROPPED, o.auto().decisions().get(3).action());
        assertTrue(o.info().contains("Layer count: automatic, 3 of 4 decomposed (max_layers=4)"), o.info());
        assertTrue(o.info().contains("  decomposed layer 4: dropped: leaving it out changes the composite by 0.00"),
                o.info());
        assertEquals(3, o.hyperstack().getNSlices());
        ResultsTable rt = new ResultsTable();
        ResultImages.addRows(rt, o.title(), o.stats(), o.auto());
        assertEquals("3", rt.getStringValue("Source", 2));
        ResultsTable decisions = new ResultsTable();
        ResultImages.addDecisionRows(decisions, o.title(), o.auto());
        assertEquals(4, decisions.size());
        assertEquals("dropped", decisions.getStringValue("Action", 3));
        JsonObject m = JsonParser.parseString(Files.readString(out.resolve("a/manifest.json"))).getAsJsonObject();
        assertEquals("auto", m.getAsJsonObject("settings").get("layers").getAsString());
        assertEquals(4, m.getAsJsonObject("auto_layers").getAsJsonArray("decisions").size());
        assertTrue(log.stream().anyMatch(l -> l.contains("automatic layer count: 3 of 4 layers kept")), log.toString());
        assertTrue(DecomposeOptions.parse("layers=auto max_layers=4").toMacroString().contains(
                "layers=auto"), "recorded as auto");
    }

    @Test
    void theCalibrationGoesIntoEverySavedFormatAndTheManifest() throws Exception {
        ImagePlus imp = FijiFixtures.rgb("cal", 90, 70);
        imp.getCalibration().pixelWidth = 0.25;
        imp.getCalibration().pixelHeight = 0.25;
        imp.getCalibration().setUnit("µm");
        Path out = dir.resolve("cal-out");
        DecomposeJob.Outcome o = run("layers=2 output=[" + out + "] formats=png,ora,psd,tiff", imp,
                new FijiFixtures.FakeDecomposer());
        double px = 0.25 * 90 / o.output().layers().get(0).width();
        assertEquals(px, o.hyperstack().getCalibration().pixelWidth, 1e-12);
        ImagePlus tif = IJ.openImage(out.resolve("cal/layers.tif").toString());
        assertEquals(px, tif.getCalibration().pixelWidth, 1e-9, "layers.tif keeps the calibration");
        assertEquals("µm", tif.getCalibration().getUnit());
        JsonObject m = JsonParser.parseString(Files.readString(out.resolve("cal/manifest.json"))).getAsJsonObject();
        JsonObject size = m.getAsJsonObject("pixel_size");
        assertEquals(px, size.get("width").getAsDouble(), 1e-12);
        assertEquals("µm", size.get("unit").getAsString());
        assertEquals(25400 / px, size.get("x_pixels_per_inch").getAsDouble(), 1e-6);
        assertEquals(Math.round(25400 / px), Math.round(org.layered.export.LayerFiles.read(out.resolve(
                "cal/layers.ora")).pixelSize().xPixelsPerInch()), "ORA xres");
        assertTrue(o.info().contains("Pixel size: "), o.info());
    }

    @Test
    void aLayerOfAResultIsDecomposedIntoANestedResult() throws Exception {
        FijiFixtures.FakeDecomposer fake = new FijiFixtures.FakeDecomposer();
        DecomposeJob.Outcome first = run("layers=3", FijiFixtures.rgb("cat.png", 64, 48), fake);
        ImagePlus hs = first.hyperstack();
        LayerOfResult layer = LayerOfResult.of(hs, 2);
        assertEquals("cat-layer-2", layer.input().name());
        assertEquals(first.output().layers().get(1), layer.input().image(), "the layer with its transparency");
        Path out = dir.resolve("nested");
        DecomposeJob job = new DecomposeJob(DecomposeOptions.parse("layers=2 output=[" + out + "] formats=png,ora"),
                fake, log::add);
        DecomposeJob.Outcome o = job.run(layer.input(), layer.nesting(), ProgressListener.NONE, new Cancellation());
        assertEquals("cat-layer-2-layers", o.title());
        assertEquals("cat-layer-2-layers", o.hyperstack().getTitle());
        assertEquals(2, o.hyperstack().getNSlices(), "the hyperstack shows the sub-layers");
        assertTrue(o.info().contains("Macro: run(\"Decompose Layer...\", \"layer=2 model="), o.info());
        org.layered.export.LayerDocument saved = org.layered.export.LayerFiles.read(out.resolve("cat-layer-2"));
        assertEquals(4, saved.layerCount(), "the result's 3 layers with layer 2 as 2 sub-layers");
        assertTrue(saved.tree().node("2") instanceof org.layered.layers.LayerTree.Group);
        assertEquals(List.of("Layer 1", "Layer 2.1", "Layer 2.2", "Layer 3"), saved.leafNames());
        assertEquals(saved.tree().images(), org.layered.export.LayerFiles.read(out.resolve("cat-layer-2/layers.ora"))
                .tree().images());

        DecomposeException e = assertThrows(DecomposeException.class, () -> LayerOfResult.of(hs, 9));
        assertEquals("layer must be between 1 and 3 (1 = bottom), got 9", e.getMessage());
        e = assertThrows(DecomposeException.class, () -> LayerOfResult.of(FijiFixtures.rgb("plain", 8, 8), 1));
        assertTrue(e.getMessage().contains("is not a layer hyperstack"), e.getMessage());
        assertEquals("cat", LayerOfResult.baseName("cat-layers"));
        assertEquals("layers", LayerOfResult.baseName("layers.tif"));
    }

    @Test
    void theCitationAndLicenceAreLoggedOncePerSession() throws Exception {
        Citation.forget();
        run("layers=1", FijiFixtures.rgb("c1", 16, 16), new FijiFixtures.FakeDecomposer());
        run("layers=1", FijiFixtures.rgb("c2", 16, 16), new FijiFixtures.FakeDecomposer());
        String line = Citation.line();
        assertTrue(line.contains("arXiv 2512.15603") && line.contains("Apache-2.0"), line);
        assertEquals(1, log.stream().filter(l -> l.equals(line)).count(), log.toString());
    }
}
