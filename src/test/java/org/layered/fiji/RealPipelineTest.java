package org.layered.fiji;

import ij.IJ;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layered.engine.TensorScope;
import org.layered.engine.Cancellation;
import org.layered.pipeline.ProgressListener;
import org.layered.store.ModelStore;

import java.awt.event.KeyEvent;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The real decomposer on the tiny model: model lookup, cancelling with Esc, and what errors look like. */
class RealPipelineTest {
    @TempDir
    Path dir;

    private final List<String> log = new ArrayList<>();

    @Test
    void escapeCancelsBetweenStepsAndTheEngineStaysUsable() throws Exception {
        DecomposeOptions o = DecomposeOptions.parse(FijiFixtures.cheapOptions(1) + " steps=3");
        DecomposeJob job = new DecomposeJob(o, new PipelineDecomposer(), log::add);
        ImageConversion.InputPlane in = ImageConversion.current(FijiFixtures.rgb("x", 32, 24));
        Cancellation cancel = new Cancellation();
        List<String> stages = new ArrayList<>();
        Ij1Progress ij1 = new Ij1Progress(cancel, false);
        ProgressListener pressEscDuringDenoise = new ProgressListener() {
            @Override
            public void stage(String name) {
                stages.add(name);
                if (name.equals("denoise")) {
                    IJ.setKeyDown(KeyEvent.VK_ESCAPE); // what pressing Esc in ImageJ does
                }
                ij1.stage(name);
            }

            @Override
            public void step(int step, int total) {
                stages.add("step " + step);
                ij1.step(step, total);
            }
        };
        ModelHost.PipelineTask<Integer> depthWithModel = pipeline -> TensorScope.depth();
        int depth = ModelHost.shared().run(FijiFixtures.model(), org.layered.engine.DeviceSpec.CPU,
                ProgressListener.NONE, new Cancellation(), depthWithModel);
        try {
            assertThrows(Cancellation.CancelledException.class, () -> job.run(in, pressEscDuringDenoise, cancel));
        } finally {
            IJ.resetEscape();
        }
        assertTrue(stages.contains("denoise"), stages.toString());
        assertFalse(stages.contains("step 2"), "stopped at the next step: " + stages);
        assertFalse(stages.contains("decode layers"), stages.toString());
        assertEquals(depth, ModelHost.shared().run(FijiFixtures.model(), org.layered.engine.DeviceSpec.CPU,
                ProgressListener.NONE, new Cancellation(), depthWithModel), "every tensor scope of the run was closed");
        assertNotNull(ModelHost.shared().loaded());
    }

    @Test
    void runsFollowTheMemoryPlanAndRecordItInInfoAndManifest() throws Exception {
        DecomposeOptions o = DecomposeOptions.parse(FijiFixtures.cheapOptions(1) + " weights=fp8 vram_gib=4 output=["
                + dir + "]");
        DecomposeJob job = new DecomposeJob(o, new PipelineDecomposer(), log::add);
        List<String> notes = new ArrayList<>();
        ProgressListener listen = new ProgressListener() {
            @Override
            public void note(String message) {
                notes.add(message);
            }
        };
        DecomposeJob.Outcome out = job.run(ImageConversion.current(FijiFixtures.rgb("planned", 32, 24)), listen,
                new Cancellation());
        assertTrue(out.info().contains("\nMemory: transformer: held in memory (") && out.info().contains(" fp8)"),
                out.info());
        assertTrue(out.info().contains("weights=fp8"), "the macro line carries the memory keys: " + out.info());
        assertTrue(notes.stream().anyMatch(n -> n.startsWith("Layered: memory: ")), notes.toString());
        String manifest = java.nio.file.Files.readString(dir.resolve("planned").resolve("manifest.json"));
        assertTrue(manifest.contains("\"memory_plan\"") && manifest.contains("\"weights\": \"fp8\""), manifest);
    }

    @Test
    void modelsAreFoundByFolderOrInTheStoreWithClearMessagesOtherwise() throws Exception {
        ModelLocator locator = new ModelLocator(() -> new ModelStore(new ModelStore.Config()
                .userHome(dir).hubCache(dir.resolve("hub")).pluginCache(dir.resolve("cache"))));
        assertEquals(FijiFixtures.model().toAbsolutePath().normalize(),
                locator.locate(FijiFixtures.model().toString()).dir());
        DecomposeException e = assertThrows(DecomposeException.class, () -> locator.locate(""));
        assertTrue(e.getMessage().contains("Qwen/Qwen-Image-Layered"), e.getMessage());
        assertTrue(e.getMessage().contains("or set the model option to a model folder"), e.getMessage());
        e = assertThrows(DecomposeException.class, () -> locator.locate("/no/such/model"));
        assertEquals("model folder not found: /no/such/model", e.getMessage());
        e = assertThrows(DecomposeException.class, () -> locator.locate(FijiFixtures.inputs().toString()));
        assertTrue(e.getMessage().contains("is a file"), e.getMessage());
    }

    @Test
    void pipelineErrorsBecomeOneLineWithImageJOptionNames() {
        DecomposeOptions o = DecomposeOptions.parse("model=[" + FijiFixtures.model() + "] layers=1 steps=1 cfg=1 "
                + "device=cpu inputs=[" + dir.resolve("missing.safetensors") + "]");
        DecomposeJob job = new DecomposeJob(o, new PipelineDecomposer(), log::add);
        DecomposeException e = assertThrows(DecomposeException.class, () -> job.run(
                ImageConversion.current(FijiFixtures.rgb("x", 8, 8)), ProgressListener.NONE, new Cancellation()));
        assertTrue(e.getMessage().startsWith("prompt embeddings file not found"), e.getMessage());

        DecomposeJob caption = new DecomposeJob(DecomposeOptions.parse("model=[" + FijiFixtures.model()
                + "] layers=1 steps=1 cfg=1 device=cpu"), new PipelineDecomposer(), log::add);
        e = assertThrows(DecomposeException.class, () -> caption.run(
                ImageConversion.current(FijiFixtures.rgb("x", 8, 8)), ProgressListener.NONE, new Cancellation()));
        assertTrue(e.getMessage().contains("caption"), e.getMessage());
        assertFalse(e.getMessage().contains("--"), "CLI flags are renamed to ImageJ options: " + e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }
}
