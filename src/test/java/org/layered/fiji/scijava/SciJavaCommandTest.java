package org.layered.fiji.scijava;

import ij.ImagePlus;
import ij.measure.ResultsTable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layered.fiji.DecomposeOptions;
import org.layered.export.LayerDocument;
import org.layered.export.TiffStackWriter;
import org.layered.fiji.FijiFixtures;
import org.layered.image.RgbaImage;
import org.layered.layers.LayerStack;
import org.layered.testing.TinyModel;
import org.layered.pipeline.ResolutionBucket;
import org.scijava.Context;
import org.scijava.command.CommandInfo;
import org.scijava.command.CommandModule;
import org.scijava.command.CommandService;
import org.scijava.event.EventHandler;
import org.scijava.event.EventService;
import org.scijava.event.EventSubscriber;
import org.scijava.task.event.TaskEvent;
import org.scijava.module.ModuleItem;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The SciJava commands in a plain SciJava context (no Fiji), the image passed explicitly; the tiny model, CPU. Run
 * without pre/post-processing, so that no parameter value is persisted into (or loaded from) the user's
 * preferences; the services are still injected.
 */
class SciJavaCommandTest {
    static Context context;
    static CommandService commands;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        context = new Context();
        commands = context.service(CommandService.class);
    }

    @AfterAll
    static void stop() {
        context.dispose();
    }

    @Test
    void commandsAreFoundUnderOneMenuWithTheMacroKeysAsParameterNames() {
        CommandInfo info = commands.getCommand(DecomposeCommand.class);
        assertEquals("Plugins > Layered > Decompose...", info.getMenuPath().getMenuString());
        assertTrue(info.canRunHeadless());
        Set<String> names = new HashSet<>();
        for (ModuleItem<?> in : info.inputs()) {
            names.add(in.getName());
        }
        for (String key : DecomposeOptions.KEYS) {
            assertTrue(names.contains(key), "SciJava parameter for macro key " + key + " in " + names);
        }
        assertEquals("Plugins > Layered > Decompose Folder...",
                commands.getCommand(DecomposeFolderCommand.class).getMenuPath().getMenuString());
        assertEquals("Plugins > Layered > Decompose Layer...",
                commands.getCommand(DecomposeLayerCommand.class).getMenuPath().getMenuString());
        assertEquals("Plugins > Layered > Recompose...",
                commands.getCommand(RecomposeCommand.class).getMenuPath().getMenuString());
        assertEquals("Plugins > Layered > Unload Model",
                commands.getCommand(UnloadModelCommand.class).getMenuPath().getMenuString());
    }

    @Test
    void decomposesTheImagePassedAndOutputsTheLayerHyperstack() throws Exception {
        ImagePlus imp = FijiFixtures.rgb("photo.png", 90, 70);
        CommandModule m = commands.run(DecomposeCommand.class, false, "image", imp,
                "model", FijiFixtures.model().toFile(), "inputs", FijiFixtures.inputs().toFile(), "layers", 2,
                "steps", 1, "cfg", 1.0, "device", "cpu", "precision", "bf16", "seed", "", "layer_images", true).get();
        assertFalse(m.isCanceled(), m.getCancelReason());
        ImagePlus result = (ImagePlus) m.getOutput("result");
        ResolutionBucket b = ResolutionBucket.forImage(640, 90, 70);
        assertArrayEquals(new int[] {b.width(), b.height(), 4, 2, 1}, result.getDimensions());
        assertEquals("photo-layers", result.getTitle());
        assertEquals("alpha", result.getStack().getSliceLabel(result.getStackIndex(4, 2, 1)));
        String seed = (String) m.getInput("seed");
        assertTrue(seed.matches("\\d+"), "the random seed used replaces the blank one for the recorder: " + seed);
        assertTrue(result.getInfoProperty().contains("Seed: " + seed + " (random)"), result.getInfoProperty());
        assertTrue(result.getInfoProperty().contains("CFG scale: 1, normalise true (off)"), result.getInfoProperty());
        assertTrue(result.getInfoProperty().contains("BFLOAT16\n"), result.getInfoProperty());
        ImagePlus recomposed = (ImagePlus) m.getOutput("recomposed");
        assertEquals("photo-recomposed", recomposed.getTitle());
        assertEquals(2, ResultsTable.getResultsTable().size());
        assertEquals("photo-layers", ResultsTable.getResultsTable().getStringValue("Image", 0));
    }

    @Test
    void problemsCancelTheCommandWithAOneLineReason() throws Exception {
        CommandModule m = commands.run(DecomposeCommand.class, false, "image", new ImagePlus(),
                "model", FijiFixtures.model().toFile(), "steps", 1).get();
        assertTrue(m.isCanceled());
        assertTrue(m.getCancelReason().contains("no pixel data"), m.getCancelReason());

        m = commands.run(DecomposeCommand.class, false, "image", FijiFixtures.rgb("x", 8, 8),
                "model", dir.resolve("nowhere").toFile(), "steps", 1).get();
        assertTrue(m.getCancelReason().contains("model folder not found"), m.getCancelReason());

        m = commands.run(DecomposeCommand.class, false, "image", FijiFixtures.rgb("x", 8, 8),
                "model", FijiFixtures.model().toFile(), "seed", "abc").get();
        assertTrue(m.getCancelReason().startsWith("seed must be blank (random) or a whole number"),
                m.getCancelReason());

        // blank prompt = automatic caption; the tiny model has no captioner: a clear message, not a crash
        m = commands.run(DecomposeCommand.class, false, "image", FijiFixtures.rgb("x", 8, 8),
                "model", FijiFixtures.model().toFile(), "steps", 1, "cfg", 1.0, "device", "cpu").get();
        assertTrue(m.isCanceled());
        String reason = m.getCancelReason();
        assertTrue(reason.contains("caption") && reason.contains("'inputs' option"), reason);
        assertFalse(reason.contains("\n") || reason.contains("Exception") || reason.contains("--"), reason);
    }

    @Test
    void cancellingTheTaskStopsTheRun() throws Exception {
        EventService events = context.service(EventService.class);
        Object canceller = new Object() {
            @EventHandler
            public void onTask(TaskEvent e) {
                if (e.getTask().getName().startsWith("Layered") && !e.getTask().isCanceled()) {
                    e.getTask().cancel("test"); // what the cancel button of Fiji's task list does
                }
            }
        };
        List<EventSubscriber<?>> subscription = events.subscribe(canceller);
        try {
            CommandModule m = commands.run(DecomposeCommand.class, false, "image", FijiFixtures.rgb("c", 40, 30),
                    "model", FijiFixtures.model().toFile(), "inputs", FijiFixtures.inputs().toFile(), "layers", 1,
                    "steps", 50, "cfg", 1.0, "device", "cpu").get();
            assertTrue(m.isCanceled());
            assertEquals("cancelled", m.getCancelReason());
            assertNull(m.getOutput("result"));
        } finally {
            events.unsubscribe(subscription);
        }
    }

    @Test
    void folderCommandReportsWhatItDid() throws Exception {
        Path in = Files.createDirectories(dir.resolve("in"));
        Files.writeString(in.resolve("broken.png"), "not a png");
        CommandModule m = commands.run(DecomposeFolderCommand.class, false, "folder", in.toFile(),
                "output", dir.resolve("out").toFile(), "model", FijiFixtures.model().toFile(), "shard", "0/1").get();
        assertFalse(m.isCanceled(), m.getCancelReason());
        assertEquals("1 of 1 image file(s) in this shard: 0 plane(s) decomposed, 0 skipped (already done), 1 failed",
                m.getOutput("summary"));
        m = commands.run(DecomposeFolderCommand.class, false, "folder", in.toFile(),
                "output", dir.resolve("out").toFile(), "shard", "5/2").get();
        assertTrue(m.getCancelReason().startsWith("shard must be i/n"), m.getCancelReason());
    }

    @Test
    void aLayerOfAResultIsDecomposedAgainAndAResultRecomposed() throws Exception {
        RgbaImage a = TinyModel.image(48, 40);
        byte[] px = new byte[48 * 40 * 4];
        for (int i = 0; i < px.length; i += 4) {
            px[i] = (byte) 200;
            px[i + 3] = (byte) (i % 3 == 0 ? 255 : 0);
        }
        RgbaImage b = new RgbaImage(48, 40, px);
        ImagePlus hs = TiffStackWriter.hyperstack(LayerDocument.of(LayerStack.of(List.of(a, b), a), null),
                "cat-layers");
        CommandModule m = commands.run(DecomposeLayerCommand.class, false, "image", hs, "layer", 2,
                "model", FijiFixtures.model().toFile(), "inputs", FijiFixtures.inputs().toFile(), "layers", "1",
                "steps", 1, "cfg", 1.0, "device", "cpu", "output", dir.resolve("out").toFile(), "rois", true).get();
        assertFalse(m.isCanceled(), m.getCancelReason());
        ImagePlus sub = (ImagePlus) m.getOutput("result");
        assertEquals("cat-layer-2-layers", sub.getTitle());
        assertEquals(1, sub.getNSlices());
        assertTrue(Files.isRegularFile(dir.resolve("out/cat-layer-2/layer-2-1.png")), "saved nested");
        assertNotNull(hs.getOverlay(), "the sub-layer's region outlined on the hyperstack");

        m = commands.run(RecomposeCommand.class, false, "image", hs, "layers", "2", "type", "RGBA").get();
        assertFalse(m.isCanceled(), m.getCancelReason());
        ImagePlus re = (ImagePlus) m.getOutput("result");
        assertEquals("cat-recomposed", re.getTitle());
        assertEquals(4, re.getNChannels());
        assertEquals(b.get(3, 0, 3), re.getStack().getProcessor(4).get(3, 0));
        m = commands.run(RecomposeCommand.class, false, "image", hs, "layers", "7", "type", "RGB").get();
        assertTrue(m.isCanceled());
        assertTrue(m.getCancelReason().contains("there is no layer 7"), m.getCancelReason());
        m = commands.run(DecomposeCommand.class, false, "image", FijiFixtures.rgb("x", 8, 8), "layers", "lots").get();
        assertTrue(m.getCancelReason().contains("layers must be a whole number, got 'lots'"), m.getCancelReason());
    }
}
