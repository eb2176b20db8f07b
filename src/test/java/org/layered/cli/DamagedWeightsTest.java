package org.layered.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layered.export.PngLayerWriter;
import org.layered.testing.TinyModel;
import org.layered.weights.safetensors.SafetensorsWriter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A tiny model whose transformer holds a NaN weight and whose VAE holds an infinite one: {@code decompose} stops with
 * exit 1 at the first step, naming the transformer, and writes nothing; {@code info --verify} names both tensors.
 */
class DamagedWeightsTest {
    @TempDir
    static Path dir;
    static Path model;

    @BeforeAll
    static void damagedModel() throws IOException {
        model = TinyModel.build(dir.resolve("damaged"), 9);
        TinyModel.setValue(TinyModel.weights(model, "transformer"), "img_in.weight", 5, Float.NaN);
        TinyModel.setValue(TinyModel.weights(model, "vae"), "decoder.conv_out.bias", 0, Float.NEGATIVE_INFINITY);
    }

    @Test
    void decomposeStopsAtTheFirstStepNamingTheTransformerAndWritesNothing() throws IOException {
        Path image = dir.resolve("in.png");
        PngLayerWriter.write(TinyModel.image(48, 40), image);
        Path inputs = dir.resolve("embeds.safetensors");
        new SafetensorsWriter().putFloats("prompt_embeds", new long[] {1, 2, TinyModel.TEXT_DIM},
                new float[2 * TinyModel.TEXT_DIM]).write(inputs);
        Path out = dir.resolve("out");
        CliRun r = CliRun.of("decompose", "--model", model.toString(), "--image", image.toString(), "--out",
                out.toString(), "--inputs", inputs.toString(), "--layers", "1", "--steps", "2", "--cfg", "1");
        assertEquals(1, r.code(), r.err());
        String error = r.err().lines().filter(l -> !l.startsWith("[layered]")).reduce((a, b) -> b).orElseThrow();
        assertEquals(1, r.err().lines().filter(l -> !l.startsWith("[layered]")).count(), r.err());
        assertTrue(error.startsWith("layered decompose: NaN or infinite values at stage 'denoise step 1': the "
                + "latents after denoising step 1 of 2, computed from finite inputs, are not finite: its weights "
                + "(transformer/) are probably damaged"), error);
        if (Files.exists(out)) {
            try (Stream<Path> s = Files.list(out)) {
                assertEquals(0, s.filter(p -> p.getFileName().toString().endsWith(".png")).count(), "no layers");
            }
        }
    }

    @Test
    void infoVerifyNamesEveryTensorHoldingNanOrInfinity() {
        CliRun r = CliRun.of("info", "--model", model.toString(), "--verify", "true");
        assertEquals(1, r.code(), r.err());
        assertTrue(r.out().contains("non-finite: " + TinyModel.weights(model, "transformer") + ": tensor "
                + "'img_in.weight' (BF16, 4096 values) holds 1 NaN and 0 infinite value(s)"), r.out());
        assertTrue(r.out().contains("non-finite: " + TinyModel.weights(model, "vae") + ": tensor "
                + "'decoder.conv_out.bias' (BF16, 4 values) holds 0 NaN and 1 infinite value(s)"), r.out());
        assertTrue(r.out().contains("non-finite: 2 of 272 tensors"), r.out());
        assertEquals("layered info: 2 tensor(s) hold NaN or infinity, e.g. 'decoder.conv_out.bias' in "
                + TinyModel.weights(model, "vae") + ": the weights are damaged; re-download the file(s)",
                r.err().strip());
    }
}
