package org.layered.cli;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layered.engine.DType;
import org.layered.export.PngLayerWriter;
import org.layered.image.RgbaImage;
import org.layered.pipeline.ResolutionBucket;
import org.layered.testing.TinyModel;
import org.layered.weights.safetensors.SafetensorsWriter;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** {@code layered decompose} end to end on a tiny random model, CPU. */
class DecomposeCommandTest {
    @TempDir
    static Path dir;
    static Path model;
    static Path image;
    static Path inputs;

    @BeforeAll
    static void setUp() throws Exception {
        model = TinyModel.build(dir.resolve("model"), 11);
        image = dir.resolve("in.png");
        PngLayerWriter.write(TinyModel.image(72, 60), image);
        inputs = dir.resolve("inputs.safetensors");
        Random r = new Random(3);
        float[] pos = new float[4 * TinyModel.TEXT_DIM];
        float[] neg = new float[2 * TinyModel.TEXT_DIM];
        for (int i = 0; i < pos.length; i++) {
            pos[i] = (float) r.nextGaussian();
        }
        for (int i = 0; i < neg.length; i++) {
            neg[i] = (float) r.nextGaussian();
        }
        new SafetensorsWriter()
                .putFloats("prompt_embeds", new long[] {1, 4, TinyModel.TEXT_DIM}, pos)
                .putLongs("prompt_embeds_mask", new long[] {1, 4}, new long[] {1, 1, 1, 1})
                .putFloats("negative_prompt_embeds", new long[] {1, 2, TinyModel.TEXT_DIM}, neg)
                .write(inputs);
    }

    @Test
    void writesLayersCompositeAndManifest() throws Exception {
        Path out = dir.resolve("out");
        CliRun r = CliRun.of("decompose", "--model", model.toString(), "--image", image.toString(), "--out", out.toString(),
                "--layers", "2", "--steps", "2", "--seed", "42", "--inputs", inputs.toString(), "--device", "cpu",
                "--weights", "fp8", "--memory", "auto");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("[layered] step 2/2"), r.err());
        ResolutionBucket b = ResolutionBucket.forImage(640, 72, 60);
        for (String f : new String[] {"layer-1.png", "layer-2.png", "composite.png"}) {
            RgbaImage img = PngLayerWriter.read(out.resolve(f));
            assertEquals(b.width(), img.width(), f);
            assertEquals(b.height(), img.height(), f);
        }
        assertFalse(Files.exists(out.resolve("layer-3.png")));
        // straight-alpha RGBA files; "over" compositing never lowers coverage, so the composite's alpha is at least
        // each layer's alpha at every pixel
        RgbaImage composite = PngLayerWriter.read(out.resolve("composite.png"));
        for (String f : new String[] {"layer-1.png", "layer-2.png"}) {
            assertTrue(javax.imageio.ImageIO.read(out.resolve(f).toFile()).getColorModel().hasAlpha(), f);
            RgbaImage layer = PngLayerWriter.read(out.resolve(f));
            for (int y = 0; y < layer.height(); y += 7) {
                for (int x = 0; x < layer.width(); x += 7) {
                    assertTrue(composite.get(x, y, 3) >= layer.get(x, y, 3), f + " alpha at " + x + "," + y);
                }
            }
        }
        JsonObject m = JsonParser.parseString(Files.readString(out.resolve("manifest.json"))).getAsJsonObject();
        assertEquals(42, m.getAsJsonObject("settings").get("seed").getAsLong());
        assertEquals(2, m.getAsJsonObject("settings").get("layers").getAsInt());
        assertEquals("layer-1.png", m.getAsJsonArray("layers_bottom_to_top").get(0).getAsString());
        JsonObject plan = m.getAsJsonObject("memory_plan");
        assertEquals("fits", plan.get("verdict").getAsString(), plan.toString());
        assertEquals("fp8", plan.get("weights").getAsString());
        assertEquals("auto", plan.get("memory").getAsString());
        assertEquals(3, plan.getAsJsonArray("stages").size(), "VAE encode, denoising, VAE decode: " + plan);
        assertTrue(r.err().contains("[layered] memory: transformer: held in memory (") && r.err().contains(" fp8)"),
                r.err());
        assertEquals(b.width(), m.getAsJsonObject("bucket").get("width").getAsInt());
        assertTrue(m.get("cfg_active").getAsBoolean());
        assertTrue(m.getAsJsonObject("composite_error").has("mean_abs_0_255"));
        assertTrue(m.getAsJsonObject("seconds").has("denoise"));
    }

    @Test
    void bf16IsAnOptInOnTheCpuCloseToFloat32() throws Exception {
        RgbaImage[] layers = new RgbaImage[2];
        String[] precisions = {"float32", "bf16"};
        for (int i = 0; i < 2; i++) {
            Path out = dir.resolve("precision-" + precisions[i]);
            CliRun r = CliRun.of("decompose", "--model", model.toString(), "--image", image.toString(), "--out",
                    out.toString(), "--layers", "1", "--steps", "1", "--seed", "5", "--inputs", inputs.toString(),
                    "--device", "cpu", "--precision", precisions[i]);
            assertEquals(0, r.code(), r.err());
            assertEquals(i == 1, r.err().contains("[layered] precision bf16 on the CPU: "), r.err());
            JsonObject m = JsonParser.parseString(Files.readString(out.resolve("manifest.json"))).getAsJsonObject();
            assertEquals(i == 0 ? "FLOAT32" : "BFLOAT16", m.getAsJsonObject("settings").get("precision")
                    .getAsString());
            layers[i] = PngLayerWriter.read(out.resolve("layer-1.png"));
        }
        double sum = 0;
        int n = 0;
        for (int y = 0; y < layers[0].height(); y++) {
            for (int x = 0; x < layers[0].width(); x++) {
                for (int c = 0; c < 4; c++) {
                    sum += Math.abs(layers[0].get(x, y, c) - layers[1].get(x, y, c));
                    n++;
                }
            }
        }
        double mean = sum / n;
        System.out.printf("bf16 vs float32 layer: mean abs difference %.2f of 255%n", mean);
        assertTrue(mean < 4, "bf16 layer differs from float32 by " + mean + " levels on average");
        CliRun bad = CliRun.of("decompose", "--model", model.toString(), "--image", image.toString(), "--out",
                dir.resolve("precision-bad").toString(), "--precision", "fp16");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--precision: unknown precision 'fp16': use auto, float32 or bf16"), bad.err());
    }

    @Test
    void badArgumentsAreOneClearLine() {
        CliRun r = CliRun.of("decompose", "--model", model.toString(), "--image", image.toString(), "--out",
                dir.resolve("x").toString(), "--resolution", "800");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("resolution must be 640 or 1024"), r.err());
        r = CliRun.of("decompose", "--model", model.toString(), "--image", dir.resolve("missing.png").toString(), "--out",
                dir.resolve("x").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("missing.png: image file not found"), r.err());
        r = CliRun.of("decompose", "--model", model.toString(), "--image", image.toString(), "--out",
                dir.resolve("x").toString(), "--format", "png,gif");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("gif"), r.err());
        r = CliRun.of("decompose", "--model", model.toString(), "--image", image.toString(), "--out",
                dir.resolve("y").toString(), "--steps", "1", "--prompt", "a cat", "--device", "cpu");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("text encoder"), r.err());
        assertEquals(1, r.err().strip().lines().filter(l -> !l.startsWith("[layered]")).count(), r.err());
    }

    @Test
    void unknownInputTensorNamesAreRejected() throws Exception {
        Path bad = dir.resolve("bad-inputs.safetensors");
        new SafetensorsWriter().putFloats("prompt_embed", DType.F32, new long[] {1, 1, 48}, new float[48]).write(bad);
        CliRun r = CliRun.of("decompose", "--model", model.toString(), "--image", image.toString(), "--out",
                dir.resolve("z").toString(), "--inputs", bad.toString(), "--device", "cpu");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("prompt_embed"), r.err());
        assertTrue(r.err().contains("accepted names"), r.err());
    }
}
