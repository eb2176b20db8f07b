package org.layered.pipeline;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layered.bench.TransformerBench;
import org.layered.engine.Cancellation;
import org.layered.engine.ComputeDevice;
import org.layered.engine.DeviceSpec;
import org.layered.engine.Precision;
import org.layered.engine.TensorScope;
import org.layered.image.RgbaImage;
import org.layered.model.text.GenerationConfig;
import org.layered.model.text.ImageCaptioner;
import org.layered.model.text.PromptEncoder;
import org.layered.weights.config.ModelIndex;
import org.layered.model.transformer.TransformerConfig;
import org.layered.testing.TinyModel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A prompt string all the way to layers: the golden tiny Qwen2.5-VL text encoder (real tokenizer, ids folded into
 * its 512-id vocabulary as its goldens were made) conditions a tiny random transformer of matching text width.
 */
class PromptToLayersTest {
    @TempDir
    static Path dir;
    static Path model;

    @BeforeAll
    static void build() throws IOException {
        model = TinyModel.build(dir.resolve("m"), 5);
        Path t = model.resolve("transformer");
        Files.delete(t.resolve("config.json"));
        Files.delete(t.resolve("diffusion_pytorch_model.safetensors"));
        // text width 64 = the tiny text encoder's hidden size
        TransformerBench.writeRandomCheckpoint(
                new TransformerConfig(2, 64, 16, 2, 32, 2, 64, new int[] {8, 12, 12}, true), t, 9);
        copyTree(TinyModel.GOLDEN.resolve("text_encoder"), Files.createDirectories(model.resolve("text_encoder")));
        copyTree(TinyModel.GOLDEN.resolve("tokenizer"), Files.createDirectories(model.resolve("tokenizer")));
        copyTree(TinyModel.GOLDEN.resolve("text_encoder/processor"), Files.createDirectories(model.resolve("processor")));
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (var files = Files.list(from)) {
            for (Path f : files.toList()) {
                if (Files.isRegularFile(f)) {
                    Files.copy(f, to.resolve(f.getFileName()));
                }
            }
        }
    }

    /** The tiny encoder's id map (real special ids 151643..151664 -> 490..511, others r -> r % 490). */
    private static long tinyId(long real) {
        return real >= 151643 && real <= 151664 ? real - 151643 + 490 : real % 490;
    }

    /** The inverse for generated ids: 490..511 back to the real special ids. */
    private static long realId(long tiny) {
        return tiny >= 490 ? tiny - 490 + 151643 : tiny;
    }

    private static ImageCaptioner.Options captionOptions() {
        return ImageCaptioner.Options.defaults(ComputeDevice.CPU).withPrecision(Precision.FLOAT32)
                .withTokenIdMaps(PromptToLayersTest::tinyId, PromptToLayersTest::realId);
    }

    private static final Function<DecomposePipeline, PromptEncoding> TINY_ENCODER = p -> {
        try {
            return QwenPromptEncoding.open(p.model(), PromptEncoder.Options.defaults(p.device())
                    .withPrecision(p.precision()).withTokenIdMap(PromptToLayersTest::tinyId), captionOptions());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    };

    @Test
    void thePromptConditionsTheLayers() throws IOException {
        DecomposeSettings apple = new DecomposeSettings(2, 640, 1, 4.0, true, 3L, "a red apple on a wooden table",
                " ", DeviceSpec.CPU);
        try (DecomposePipeline p = DecomposePipeline.open(model, ComputeDevice.CPU, Precision.FLOAT32, TINY_ENCODER);
             TensorScope s = TensorScope.open()) {
            Decomposition a = p.run(TinyModel.image(64, 64), apple, GivenInputs.NONE, ProgressListener.NONE,
                    new Cancellation());
            assertEquals("a red apple on a wooden table", a.prompt());
            assertFalse(a.captioned());
            assertTrue(a.cfgActive(), "the default negative prompt \" \" switches true CFG on");
            Decomposition b = p.run(TinyModel.image(64, 64), apple.withPrompt("two cats on a sofa", " "),
                    GivenInputs.NONE, ProgressListener.NONE, new Cancellation());
            assertNotEquals(a.stack().layers(), b.stack().layers(), "another prompt, other layers");
            Decomposition again = p.run(TinyModel.image(64, 64), apple, GivenInputs.NONE, ProgressListener.NONE,
                    new Cancellation());
            assertEquals(a.stack().layers(), again.stack().layers(), "cached embeddings give the same result");
        }
    }

    @Test
    void withoutAPromptTheImageIsCaptionedAndTheCaptionConditionsTheRun() throws IOException {
        RgbaImage image = TinyModel.image(64, 64);
        DecomposeSettings noPrompt = new DecomposeSettings(2, 640, 1, 1.0, false, 3L, "", null, DeviceSpec.CPU);
        String expected;
        try (ImageCaptioner c = ImageCaptioner.open(ModelIndex.read(model), captionOptions())) {
            RgbaImage resized = ResolutionBucket.forImage(640, 64, 64).fit(image);
            expected = c.caption(resized, true, GenerationConfig.CAPTION_MAX_NEW_TOKENS, null, null);
        }
        try (DecomposePipeline p = DecomposePipeline.open(model, ComputeDevice.CPU, Precision.FLOAT32, TINY_ENCODER);
             TensorScope s = TensorScope.open()) {
            Decomposition d = p.run(image, noPrompt, GivenInputs.NONE, ProgressListener.NONE, new Cancellation());
            assertTrue(d.captioned());
            assertEquals(expected, d.prompt(), "the caption of the bucket-resized image");
            assertTrue(d.seconds().containsKey("caption"));
            Decomposition withCaption = p.run(image, noPrompt.withPrompt(expected, null), GivenInputs.NONE,
                    ProgressListener.NONE, new Cancellation());
            assertEquals(withCaption.stack().layers(), d.stack().layers(), "as if the caption had been the prompt");
        }
    }
}
