package org.layered.pipeline;

import org.layered.engine.Cancellation;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layered.engine.ComputeDevice;
import org.layered.engine.DeviceSpec;
import org.layered.engine.Ops;
import org.layered.engine.Precision;
import org.layered.engine.Tensor;
import org.layered.engine.TensorScope;
import org.layered.image.RgbaImage;
import org.layered.layers.Compositor;
import org.layered.testing.TinyModel;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The whole decomposition on a tiny random model built in code, CPU float32. */
class DecomposePipelineTest {
    @TempDir
    static Path dir;
    static Path model;

    @BeforeAll
    static void buildModel() throws IOException {
        model = TinyModel.build(dir.resolve("tiny"), 7);
    }

    static DecomposeSettings settings(int layers, int steps) {
        return new DecomposeSettings(layers, 640, steps, 4.0, true, 1234L, "a test image", " ", DeviceSpec.CPU);
    }

    static GivenInputs embeddings(long seed) {
        return new GivenInputs(
                new TextConditioning(Ops.seededNormal(seed, new long[] {1, 5, TinyModel.TEXT_DIM},
                        ComputeDevice.CPU), null),
                new TextConditioning(Ops.seededNormal(seed + 1, new long[] {1, 3, TinyModel.TEXT_DIM},
                        ComputeDevice.CPU), null),
                null);
    }

    @Test
    void decomposesIntoLayersBottomToTopWithTheirComposite() throws IOException {
        RgbaImage image = TinyModel.image(90, 70);
        List<String> stages = new ArrayList<>();
        List<Integer> steps = new ArrayList<>();
        ProgressListener listener = new ProgressListener() {
            @Override
            public void stage(String name) {
                stages.add(name);
            }

            @Override
            public void step(int step, int total) {
                steps.add(step);
                assertEquals(2, total);
            }
        };
        try (DecomposePipeline p = DecomposePipeline.open(model, ComputeDevice.CPU, Precision.FLOAT32, null);
             TensorScope s = TensorScope.open()) {
            Decomposition d = p.run(image, settings(3, 2), embeddings(5), listener, new Cancellation());
            ResolutionBucket b = d.bucket();
            assertEquals(ResolutionBucket.forImage(640, 90, 70), b);
            assertEquals(3, d.stack().size());
            for (RgbaImage layer : d.stack().layers()) {
                assertEquals(b.width(), layer.width());
                assertEquals(b.height(), layer.height());
            }
            assertEquals(b.width(), d.input().width());
            assertEquals(Compositor.over(d.stack().layers()), d.stack().composite());
            assertTrue(Double.isFinite(d.stack().compositeError().meanAbs()));
            assertTrue(d.cfgActive());
            assertEquals(1234L, d.settings().seed());
            assertEquals(List.of(1, 2), steps);
            assertEquals(List.of("preprocess", "encode prompt", "encode image", "noise", "denoise", "decode layers",
                    "composite"), stages);
            assertEquals(1, TensorScope.depth(), "the run closed all its scopes");
        }
    }

    @Test
    void sameSeedSameLayersAndOtherSeedOtherLayers() throws IOException {
        RgbaImage image = TinyModel.image(64, 64);
        try (DecomposePipeline p = DecomposePipeline.open(model, ComputeDevice.CPU, Precision.FLOAT32, null);
             TensorScope s = TensorScope.open()) {
            Decomposition a = p.run(image, settings(2, 2), embeddings(5), ProgressListener.NONE, new Cancellation());
            Decomposition b = p.run(image, settings(2, 2), embeddings(5), ProgressListener.NONE, new Cancellation());
            Decomposition c = p.run(image, settings(2, 2).withSeed(99L), embeddings(5), ProgressListener.NONE,
                    new Cancellation());
            assertEquals(a.stack().layers(), b.stack().layers());
            assertNotEquals(a.stack().layers(), c.stack().layers());
        }
    }

    @Test
    void cancellingMidRunUnwindsAndThePipelineStaysUsable() throws IOException {
        RgbaImage image = TinyModel.image(64, 64);
        try (DecomposePipeline p = DecomposePipeline.open(model, ComputeDevice.CPU, Precision.FLOAT32, null);
             TensorScope s = TensorScope.open()) {
            Cancellation cancel = new Cancellation();
            List<Integer> steps = new ArrayList<>();
            ProgressListener stopAfterFirst = new ProgressListener() {
                @Override
                public void step(int step, int total) {
                    steps.add(step);
                    cancel.cancel();
                }
            };
            GivenInputs text = embeddings(5);
            int before = s.size();
            assertThrows(Cancellation.CancelledException.class,
                    () -> p.run(image, settings(2, 3), text, stopAfterFirst, cancel));
            assertEquals(List.of(1), steps, "stopped between steps");
            assertEquals(1, TensorScope.depth(), "every scope of the cancelled run was closed");
            assertEquals(before, s.size(), "nothing leaked into the caller's scope");
            Decomposition d = p.run(image, settings(2, 1), embeddings(5), ProgressListener.NONE, new Cancellation());
            assertEquals(2, d.stack().size());
        }
    }

    @Test
    void givenLatentsReplaceTheSeededNoiseAndAreShapeChecked() throws IOException {
        RgbaImage image = TinyModel.image(64, 64);
        try (DecomposePipeline p = DecomposePipeline.open(model, ComputeDevice.CPU, Precision.FLOAT32, null);
             TensorScope s = TensorScope.open()) {
            ResolutionBucket b = ResolutionBucket.forImage(640, 64, 64);
            long tokens = 3L * b.tokensPerFrame();
            GivenInputs text = embeddings(5);
            Tensor noise = Ops.seededNormal(1234L, new long[] {1, 3, 16, b.latentHeight(), b.latentWidth()},
                    ComputeDevice.CPU);
            GivenInputs withLatents = new GivenInputs(text.prompt(), text.negative(), LatentPacking.pack(noise));
            Decomposition seeded = p.run(image, settings(2, 1), text, ProgressListener.NONE, new Cancellation());
            Decomposition given = p.run(image, settings(2, 1).withSeed(5L), withLatents, ProgressListener.NONE,
                    new Cancellation());
            assertEquals(seeded.stack().layers(), given.stack().layers(), "the seed's noise, given explicitly");
            assertFalse(withLatents.latents().isClosed(), "the caller's latents are not consumed");
            Decomposition again = p.run(image, settings(2, 1).withSeed(5L), withLatents, ProgressListener.NONE,
                    new Cancellation());
            assertEquals(given.stack().layers(), again.stack().layers(), "given inputs can be reused");
            GivenInputs wrong = new GivenInputs(text.prompt(), text.negative(),
                    Ops.zeros(new long[] {1, tokens - 1, 64}, org.layered.engine.DType.F32, ComputeDevice.CPU));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> p.run(image, settings(2, 1), wrong, ProgressListener.NONE, new Cancellation()));
            assertTrue(e.getMessage().contains("(1, " + tokens + ", 64)"), e.getMessage());
        }
    }

    @Test
    void aPromptWithoutTextEncoderOrEmbeddingsIsAClearError() throws IOException {
        try (DecomposePipeline p = DecomposePipeline.open(model, ComputeDevice.CPU, Precision.FLOAT32, null);
             TensorScope s = TensorScope.open()) {
            IOException e = assertThrows(IOException.class, () -> p.run(TinyModel.image(32, 32), settings(2, 1),
                    GivenInputs.NONE, ProgressListener.NONE, new Cancellation()));
            assertTrue(e.getMessage().contains("--inputs"), e.getMessage());
        }
    }
}
