package org.layered.model.text.vision;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.layered.engine.ComputeDevice;
import org.layered.engine.Ops;
import org.layered.engine.Precision;
import org.layered.engine.Tensor;
import org.layered.engine.TensorScope;
import org.layered.weights.residency.ResidencyPolicy;
import org.layered.weights.SafetensorsWeights;

import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Case 4c of the text-encoder goldens: the tiny random Qwen2.5-VL vision tower (float32 CPU). */
class Qwen25VisionTowerGoldenTest {
    private static final String FILE = "vision_tower.safetensors";
    private static SafetensorsWeights weights;
    private static Qwen25VisionTower tower;

    @BeforeAll
    static void open() throws IOException {
        weights = SafetensorsWeights.open(VisionGolden.dir().resolve("model.safetensors"));
        VisionConfig config = VisionConfig.read(VisionGolden.dir().resolve("config.json"));
        tower = new Qwen25VisionTower(config, weights, ComputeDevice.CPU, Precision.FLOAT32,
                ResidencyPolicy.resident());
    }

    @AfterAll
    static void close() throws IOException {
        if (tower != null) {
            tower.close();
        }
        if (weights != null) {
            weights.close();
        }
    }

    @Test
    void configIsRead() throws Exception {
        VisionConfig c = tower.config();
        assertEquals(4, c.depth());
        assertEquals(32, c.hiddenSize());
        assertEquals(16, c.headDim());
        assertArrayEquals(new int[] {1, 3}, c.fullattBlockIndexes());
        assertEquals(64, c.outHiddenSize());
        assertEquals("visual.", tower.keyPrefix());
        VisionConfig real = VisionConfig.read(
                VisionGolden.dir().resolve("reference_qwen2.5-vl-7b-instruct/config.json"));
        assertEquals(VisionConfig.qwen25Vl7b(), real);
    }

    @Test
    void layoutMatchesUpstreamIndices() {
        for (String c : new String[] {"case1", "case2"}) {
            long[][] grids = VisionGolden.get(FILE, c + ".image_grid_thw").rows();
            VisionLayout layout = new VisionLayout(grids, tower.config());
            assertArrayEquals(VisionGolden.get(FILE, c + ".window_index").ints(), layout.windowIndex(), c);
            assertArrayEquals(VisionGolden.get(FILE, c + ".cu_window_seqlens_raw").ints(),
                    layout.cuWindowSeqlensRaw(), c);
            assertArrayEquals(VisionGolden.get(FILE, c + ".cu_window_seqlens").ints(), layout.cuWindowSeqlens(), c);
            assertArrayEquals(VisionGolden.get(FILE, c + ".cu_seqlens").ints(), layout.cuSeqlens(), c);
            float[] rot = tower.rotaryAngles(layout);
            double d = VisionGolden.maxAbsDiff(rot, VisionGolden.get(FILE, c + ".rot_pos_emb").values());
            assertTrue(d <= 1e-6, c + " rot_pos_emb " + d);
        }
    }

    @Test
    void mergedEmbeddingsMatch() throws IOException {
        for (String c : new String[] {"case1", "case2"}) {
            long[][] grids = VisionGolden.get(FILE, c + ".image_grid_thw").rows();
            VisionGolden.Tensor px = VisionGolden.get(FILE, c + ".pixel_values");
            Map<String, Double> diffs = new TreeMap<>();
            try (TensorScope s = TensorScope.open()) {
                Tensor pixels = Ops.fromFloats(px.values(), px.shape(), ComputeDevice.CPU);
                Tensor out = tower.forward(pixels, grids, null, (name, t) -> {
                    VisionGolden.Tensor g = VisionGolden.get(FILE, c + "." + name);
                    assertArrayEquals(g.shape(), t.shape(), c + " " + name);
                    diffs.put(name, VisionGolden.maxAbsDiff(t.toFloats(), g.values()));
                });
                double d = VisionGolden.maxAbsDiff(out.toFloats(), VisionGolden.get(FILE, c + ".image_embeds").values());
                diffs.put("(returned) image_embeds", d);
            }
            System.out.println("vision tower " + c + ", max |diff| vs golden (float32 CPU):");
            diffs.forEach((k, v) -> System.out.printf("  %-28s %.3g%n", k, v));
            assertEquals(12, diffs.size(), diffs.keySet().toString());
            diffs.forEach((k, v) -> assertTrue(v <= 1e-5, c + " " + k + ": " + v));
        }
    }

    @Test
    void bf16RunsCloseToGolden() throws IOException {
        VisionGolden.Tensor px = VisionGolden.get(FILE, "case1.pixel_values");
        long[][] grids = VisionGolden.get(FILE, "case1.image_grid_thw").rows();
        try (Qwen25VisionTower bf16 = new Qwen25VisionTower(tower.config(), weights, ComputeDevice.CPU,
                Precision.BFLOAT16, ResidencyPolicy.streamed()); TensorScope s = TensorScope.open()) {
            Tensor out = bf16.forward(Ops.fromFloats(px.values(), px.shape(), ComputeDevice.CPU), grids, null,
                    Qwen25VisionTower.Observer.NONE);
            assertEquals(org.layered.engine.DType.BF16, out.dtype());
            double d = VisionGolden.maxAbsDiff(out.toFloats(), VisionGolden.get(FILE, "case1.image_embeds").values());
            System.out.printf("vision tower bf16 (CPU) vs float32 golden: max |diff| %.3g%n", d);
            assertTrue(d < 0.05, "bf16 diff " + d);
        }
    }

    @Test
    void theTowersGeluIsTheExactErfForm() {
        double[] xs = {-8, -3, -1.5, -0.5, -1e-3, 0, 1e-3, 0.3, 1, 2.5, 6};
        float[] f = new float[xs.length];
        for (int i = 0; i < xs.length; i++) {
            f[i] = (float) xs[i];
        }
        try (TensorScope s = TensorScope.open()) {
            float[] g = Ops.gelu(Ops.fromFloats(f, new long[] {f.length}, ComputeDevice.CPU))
                    .toFloats();
            for (int i = 0; i < xs.length; i++) {
                double want = 0.5 * xs[i] * (1 + erf(xs[i] / Math.sqrt(2)));
                assertEquals(want, g[i], 1e-6 * Math.max(1, Math.abs(xs[i])), "gelu(" + xs[i] + ")");
            }
        }
    }

    /** erf by its Maclaurin series (|x| < 3) or the asymptotic continued fraction, to ~1e-12. */
    static double erf(double x) {
        double ax = Math.abs(x);
        double r;
        if (ax < 3) {
            double sum = 0;
            double term = ax;
            for (int n = 0; n < 200; n++) {
                sum += term / (2 * n + 1);
                term *= -ax * ax / (n + 1);
            }
            r = 2 / Math.sqrt(Math.PI) * sum;
        } else {
            double cf = 0;
            for (int k = 60; k >= 1; k--) {
                cf = k / 2.0 / (ax + cf);
            }
            r = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + cf);
        }
        return x < 0 ? -r : r;
    }
}
