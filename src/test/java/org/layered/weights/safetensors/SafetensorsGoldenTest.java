package org.layered.weights.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.layered.engine.DType;

/** Reads the golden files produced by the upstream Python safetensors library and checks facts from their READMEs. */
class SafetensorsGoldenTest {
    private static final Path GOLDEN = Path.of("src/test/resources/golden");

    @BeforeAll
    static void goldenPresent() {
        assertTrue(Files.isDirectory(GOLDEN), "golden files missing: copy /work/shared/golden to " + GOLDEN);
    }

    private static List<Path> goldenFiles() throws IOException {
        try (Stream<Path> s = Files.walk(GOLDEN)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".safetensors")).sorted().toList();
        }
    }

    @Test
    void everyGoldenFileOpensAndEveryTensorDecodes() throws IOException {
        List<Path> files = goldenFiles();
        assertTrue(files.size() >= 10, "found " + files);
        int tensors = 0;
        for (Path p : files) {
            try (SafetensorsFile f = SafetensorsFile.open(p)) {
                assertEquals(0, (f.dataOffset() - 8) % 8, p + ": upstream pads the header to 8 bytes");
                long end = 0;
                for (TensorInfo t : f.tensors()) {
                    assertEquals(end, t.begin(), p + " " + t.name());
                    end = t.end();
                    List<ByteBuffer> data = f.data(t.name());
                    assertEquals(t.byteSize(), data.stream().mapToLong(ByteBuffer::remaining).sum(), t.name());
                    if (t.dtype().isFloating()) {
                        float[] v = TensorValues.toFloats(t, data);
                        assertEquals(t.numel(), v.length);
                        for (float x : v) {
                            assertTrue(Float.isFinite(x), () -> p + " " + t.name() + " has a non-finite value");
                        }
                    } else {
                        assertEquals(t.numel(), TensorValues.toLongs(t, data).length);
                    }
                    tensors++;
                }
                assertEquals(Files.size(p), f.dataOffset() + end);
            }
        }
        assertTrue(tensors > 600, "tensors: " + tensors);
    }

    @Test
    void vaeGoldenImageIsTheNormalisedU8Image() throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(GOLDEN.resolve("vae/vae_golden.safetensors"))) {
            TensorInfo u8 = f.info("image_rgba_u8");
            assertEquals(DType.U8, u8.dtype());
            assertArrayEquals(new long[] {40, 56, 4}, u8.shape());
            TensorInfo image = f.info("image");
            assertEquals(DType.F32, image.dtype());
            assertArrayEquals(new long[] {1, 4, 1, 40, 56}, image.shape());
            long[] pixels = TensorValues.toLongs(u8, f.data("image_rgba_u8"));
            float[] x = TensorValues.toFloats(image, f.data("image"));
            long distinct = java.util.Arrays.stream(pixels).distinct().count();
            assertTrue(distinct > 100, "a real image, not zeros: " + distinct + " distinct values");
            for (int c = 0; c < 4; c++) {
                for (int y = 0; y < 40; y++) {
                    for (int xx = 0; xx < 56; xx++) {
                        double expected = pixels[(y * 56 + xx) * 4 + c] / 255.0 * 2 - 1;
                        assertEquals(expected, x[(c * 40 + y) * 56 + xx], 1e-6, "c" + c + " y" + y + " x" + xx);
                    }
                }
            }
            assertArrayEquals(new long[] {1, 16, 1, 5, 7}, f.info("latent_mode").shape());
        }
    }

    @Test
    void modelWeightFilesAreBf16WithUpstreamCounts() throws IOException {
        checkWeights("vae/diffusion_pytorch_model.safetensors", 194);
        checkWeights("transformer/diffusion_pytorch_model.safetensors", 78);
        checkWeights("text_encoder/model.safetensors", 81);
        try (ShardedCheckpoint c = ShardedCheckpoint.open(GOLDEN.resolve("transformer/diffusion_pytorch_model"
                + ".safetensors"))) {
            assertArrayEquals(new long[] {2, 64}, c.info("time_text_embed.addition_t_embedding.weight").shape());
            assertTrue(c.contains("transformer_blocks.1.attn.norm_added_k.weight"));
            // RMSNorm weights were set to 1 + 0.2*N(0,1): centred near 1, not the default exact ones
            float[] g = TensorValues.toFloats(c.info("txt_norm.weight"), c.data("txt_norm.weight"));
            double mean = 0;
            for (float v : g) {
                mean += v / g.length;
            }
            assertEquals(1.0, mean, 0.15);
            assertFalse(allEqual(g));
        }
        // the vae folder holds the weights beside the golden tensors: the standard weight name wins, as in diffusers
        try (ShardedCheckpoint c = ShardedCheckpoint.open(GOLDEN.resolve("vae"))) {
            assertEquals(List.of(GOLDEN.resolve("vae/diffusion_pytorch_model.safetensors")), c.files());
            assertEquals(194, c.names().size());
            assertTrue(c.contains("decoder.conv_out.weight"));
        }
    }

    private static boolean allEqual(float[] v) {
        for (float x : v) {
            if (x != v[0]) {
                return false;
            }
        }
        return true;
    }

    private static void checkWeights(String rel, int count) throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(GOLDEN.resolve(rel))) {
            assertEquals(count, f.tensors().size(), rel);
            assertEquals("pt", f.metadata().get("format"), rel);
            for (TensorInfo t : f.tensors()) {
                assertEquals(DType.BF16, t.dtype(), rel + " " + t.name());
            }
        }
    }

    @Test
    void transformerCaseFacts() throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(GOLDEN.resolve("transformer/transformer_case1.safetensors"))) {
            TensorInfo mask = f.info("mask.encoder_hidden_states_mask");
            assertEquals(DType.I64, mask.dtype());
            assertArrayEquals(new long[] {1, 1, 1, 1, 0, 0}, TensorValues.toLongs(mask, f.data(mask.name())));
            assertArrayEquals(new float[] {0.75f}, TensorValues.toFloats(f.info("timestep"), f.data("timestep")));
            assertArrayEquals(new long[] {0}, TensorValues.toLongs(f.info("additional_t_cond"),
                    f.data("additional_t_cond")));
            // noise_pred is output[:, :48]: the first 48 tokens of 64 channels
            float[] out = TensorValues.toFloats(f.info("nomask.output"), f.data("nomask.output"));
            float[] pred = TensorValues.toFloats(f.info("nomask.noise_pred"), f.data("nomask.noise_pred"));
            assertArrayEquals(new long[] {1, 48, 64}, f.info("nomask.noise_pred").shape());
            assertArrayEquals(java.util.Arrays.copyOf(out, 48 * 64), pred);
        }
    }

    @Test
    void helperAndSchedulerFacts() throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(GOLDEN.resolve("helpers/helpers_golden.safetensors"))) {
            assertArrayEquals(new float[] {1.0f, 0.9f, 0.75f, 0.5f, 0.123f, 0.0f},
                    TensorValues.toFloats(f.info("time_proj.t"), f.data("time_proj.t")));
            float[] in = TensorValues.toFloats(f.info("postprocess.in"), f.data("postprocess.in"));
            assertArrayEquals(new long[] {1, 4, 3, 5}, f.info("postprocess.in").shape());
            for (int i = 0; i < 60; i++) {
                assertEquals(-1.3 + 2.6 * i / 59, in[i], 1e-6, "linspace " + i);
            }
            // postprocess.np = clamp(in/2+0.5, 0, 1), channel-last; pil_u8 = round(np*255)
            float[] np = TensorValues.toFloats(f.info("postprocess.np"), f.data("postprocess.np"));
            long[] u8 = TensorValues.toLongs(f.info("postprocess.pil_u8"), f.data("postprocess.pil_u8"));
            assertEquals(DType.U8, f.info("postprocess.pil_u8").dtype());
            for (int c = 0; c < 4; c++) {
                for (int y = 0; y < 3; y++) {
                    for (int x = 0; x < 5; x++) {
                        float v = np[(y * 5 + x) * 4 + c];
                        assertEquals(Math.min(1, Math.max(0, in[(c * 3 + y) * 5 + x] / 2 + 0.5)), v, 1e-6);
                        assertEquals(Math.round(v * 255), u8[(y * 5 + x) * 4 + c]);
                    }
                }
            }
            assertEquals(DType.I64, f.info("rope.tiny_case1.img_pos").dtype());
        }
        try (SafetensorsFile f = SafetensorsFile.open(GOLDEN.resolve("scheduler/scheduler_golden.safetensors"))) {
            TensorInfo in = f.info("steps3_cond16.sigmas_in");
            assertEquals(DType.F64, in.dtype());
            assertArrayEquals(new double[] {1.0, 2.0 / 3, 1.0 / 3}, TensorValues.toDoubles(in, f.data(in.name())),
                    1e-15);
            float[] sigmas = TensorValues.toFloats(f.info("steps3_cond16.sigmas"), f.data("steps3_cond16.sigmas"));
            float[] ts = TensorValues.toFloats(f.info("steps3_cond16.timesteps"), f.data("steps3_cond16.timesteps"));
            assertEquals(4, sigmas.length);
            assertEquals(0f, sigmas[3]);
            for (int i = 0; i < 3; i++) {
                assertEquals(sigmas[i] * 1000, ts[i], 1e-3);
            }
        }
    }
}
