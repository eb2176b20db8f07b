package org.layered.model.text;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layered.engine.ComputeDevice;
import org.layered.engine.DType;
import org.layered.engine.Precision;
import org.layered.engine.Tensor;
import org.layered.engine.TensorScope;
import org.layered.weights.residency.ResidencyPolicy;
import org.layered.weights.SafetensorsWeights;
import org.layered.weights.config.JsonConfig;
import org.layered.weights.safetensors.SafetensorsFile;
import org.layered.weights.safetensors.SafetensorsWriter;
import org.layered.weights.safetensors.TensorInfo;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Case 4a of the text-encoder goldens: the tiny random Qwen2.5-VL text forward (float32 CPU). */
class Qwen2LanguageModelGoldenTest {
    private static Qwen2LanguageModel model;

    @BeforeAll
    static void open() throws IOException {
        model = Qwen2LanguageModel.open(TextGolden.textEncoderDir(), ComputeDevice.CPU, Precision.FLOAT32,
                ResidencyPolicy.streamed());
    }

    @AfterAll
    static void close() throws IOException {
        if (model != null) {
            model.close();
        }
    }

    static TextBatch goldenBatch() {
        long[][] ids = TextGolden.longRows("input_ids");
        long[][] m = TextGolden.longRows("attention_mask");
        boolean[][] mask = new boolean[m.length][m[0].length];
        for (int i = 0; i < m.length; i++) {
            for (int j = 0; j < m[i].length; j++) {
                mask[i][j] = m[i][j] == 1;
            }
        }
        return new TextBatch(ids, mask);
    }

    @Test
    void nestedConfigIsRead() throws Exception {
        Qwen2TextConfig c = model.config();
        assertEquals(64, c.hiddenSize());
        assertEquals(2, c.numLayers());
        assertEquals(4, c.numHeads());
        assertEquals(2, c.numKvHeads());
        assertEquals(16, c.headDim());
        assertEquals(128, c.intermediateSize());
        assertEquals(512, c.vocabSize());
        assertArrayEquals(new int[] {2, 3, 3}, c.mropeSection());
        assertEquals(1e6, c.ropeTheta());
        assertEquals("model.", model.keyPrefix());
        // the real checkpoint's flat config
        Qwen2TextConfig real = Qwen2TextConfig.read(
                TextGolden.textEncoderDir().resolve("reference_qwen2.5-vl-7b-instruct/config.json"));
        assertEquals(Qwen2TextConfig.qwen25Vl7b(), real);
    }

    @Test
    void positionsMatchGetRopeIndex() {
        TextBatch b = goldenBatch();
        TextGolden.Tensor g = TextGolden.forward("position_ids");
        long[][][] p = b.positions();
        int k = 0;
        for (long[][] axis : p) {
            for (long[] row : axis) {
                for (long v : row) {
                    assertEquals(g.longs()[k++], v);
                }
            }
        }
    }

    @Test
    void forwardMatchesEveryGoldenIntermediate() throws IOException {
        Map<String, float[]> seen = new HashMap<>();
        float[] last;
        try (TensorScope s = TensorScope.open()) {
            Tensor out = model.forward(List.of(goldenBatch()), (batch, name, value) -> {
                seen.put(name, value.toFloats());
            }).get(0);
            assertArrayEquals(new long[] {2, 56, 64}, out.shape());
            assertEquals(DType.F32, out.dtype());
            last = out.toFloats();
        }
        Map<String, String> pairs = Map.of("embed_tokens", "embed_tokens", "rope.cos", "layer0_rope.cos_merged",
                "rope.sin", "layer0_rope.sin_merged", "layer0.q", "layer0_rope.q", "layer0.k", "layer0_rope.k",
                "layer0.q_rot", "layer0_rope.q_rot", "layer0.k_rot", "layer0_rope.k_rot",
                "layer0.output", "layer0_output", "layer1.output", "layer1_output", "norm", "hidden_states.2");
        StringBuilder report = new StringBuilder("tiny text forward, max |diff| vs golden (float32 CPU):");
        for (var e : pairs.entrySet()) {
            double d = TextGolden.maxAbsDiff(seen.get(e.getKey()), TextGolden.forward(e.getValue()).values());
            report.append(String.format("%n  %-22s %.3g", e.getValue(), d));
            assertTrue(d <= TextGolden.TOL, e.getValue() + " differs by " + d);
        }
        double d = TextGolden.maxAbsDiff(last, TextGolden.forward("last_hidden_state").values());
        report.append(String.format("%n  %-22s %.3g", "last_hidden_state", d));
        assertTrue(d <= TextGolden.TOL, "last_hidden_state differs by " + d);
        assertEquals(0.0, TextGolden.maxAbsDiff(seen.get("embed_tokens"),
                TextGolden.forward("hidden_states.0").values()));
        assertTrue(TextGolden.maxAbsDiff(seen.get("layer0.output"),
                TextGolden.forward("hidden_states.1").values()) <= TextGolden.TOL);
        System.out.println(report);
    }

    @Test
    void rawRotaryAxesMatch() {
        // all three M-RoPE axes carry the same text positions: the golden's per-axis cos equals the merged one
        TextGolden.Tensor cos = TextGolden.forward("rotary_cos");
        TextGolden.Tensor merged = TextGolden.forward("layer0_rope.cos_merged");
        int n = merged.values().length;
        for (int axis = 0; axis < 3; axis++) {
            float[] a = java.util.Arrays.copyOfRange(cos.values(), axis * n, (axis + 1) * n);
            assertEquals(0.0, TextGolden.maxAbsDiff(a, merged.values()));
        }
    }

    @Test
    void separateBatchesInOneWeightPassEqualSeparateForwards() throws IOException {
        TextBatch both = goldenBatch();
        long[] row1 = java.util.Arrays.copyOf(both.inputIds()[1], 40);
        try (TensorScope s = TensorScope.open()) {
            List<Tensor> outs = model.forward(List.of(TextBatch.of(both.inputIds()[0]), TextBatch.of(row1)),
                    TextForwardObserver.NONE);
            Tensor alone = model.forward(TextBatch.of(row1));
            assertEquals(0.0, TextGolden.maxAbsDiff(outs.get(1).toFloats(), alone.toFloats()));
            float[] golden = TextGolden.forward("last_hidden_state").values();
            float[] g1 = java.util.Arrays.copyOfRange(golden, 56 * 64, 56 * 64 + 40 * 64);
            assertTrue(TextGolden.maxAbsDiff(outs.get(1).toFloats(), g1) <= TextGolden.TOL);
            float[] g0 = java.util.Arrays.copyOfRange(golden, 0, 56 * 64);
            assertTrue(TextGolden.maxAbsDiff(outs.get(0).toFloats(), g0) <= TextGolden.TOL);
            assertEquals(3, s.size()); // outs (2) + alone: nothing else leaked into this scope
        }
    }

    @Test
    void residentWeightsGiveTheSameResult() throws IOException {
        try (Qwen2LanguageModel resident = Qwen2LanguageModel.open(TextGolden.textEncoderDir(), ComputeDevice.CPU,
                Precision.FLOAT32, ResidencyPolicy.resident()); TensorScope s = TensorScope.open()) {
            float[] a = resident.forward(goldenBatch()).toFloats();
            assertTrue(TextGolden.maxAbsDiff(a, TextGolden.forward("last_hidden_state").values())
                    <= TextGolden.TOL);
        }
    }

    /** transformers >= 4.52 names: model.language_model.* (and model.visual.*). */
    @Test
    void newKeyLayoutIsAccepted(@TempDir Path dir) throws IOException {
        SafetensorsWriter w = new SafetensorsWriter();
        try (SafetensorsFile f = SafetensorsFile.open(TextGolden.textEncoderDir().resolve("model.safetensors"))) {
            for (TensorInfo t : f.tensors()) {
                String name = t.name();
                if (name.startsWith("model.")) {
                    name = "model.language_model." + name.substring("model.".length());
                } else if (name.startsWith("visual.")) {
                    name = "model." + name;
                }
                List<ByteBuffer> data = f.data(t.name());
                ByteBuffer copy = ByteBuffer.allocate(Math.toIntExact(t.byteSize()));
                for (ByteBuffer b : data) {
                    copy.put(b.duplicate());
                }
                w.put(name, t.dtype(), t.shape(), copy.flip());
            }
        }
        w.write(dir.resolve("model.safetensors"));
        Files.copy(TextGolden.textEncoderDir().resolve("config.json"), dir.resolve("config.json"));
        try (Qwen2LanguageModel m = Qwen2LanguageModel.open(dir, ComputeDevice.CPU, Precision.FLOAT32,
                ResidencyPolicy.streamed()); TensorScope s = TensorScope.open()) {
            assertEquals("model.language_model.", m.keyPrefix());
            float[] a = m.forward(goldenBatch()).toFloats();
            assertTrue(TextGolden.maxAbsDiff(a, TextGolden.forward("last_hidden_state").values())
                    <= TextGolden.TOL);
        }
    }

    @Test
    void mismatchedConfigIsReportedByName() throws Exception {
        var json = JsonConfig.read(TextGolden.textEncoderDir().resolve("config.json")).json();
        json.getAsJsonObject("text_config").addProperty("intermediate_size", 96);
        Qwen2TextConfig bad = Qwen2TextConfig.from(JsonConfig.of(Path.of("config.json"), json));
        try (SafetensorsWeights w = SafetensorsWeights.open(TextGolden.textEncoderDir())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Qwen2LanguageModel(
                    bad, w, false, ComputeDevice.CPU, Precision.FLOAT32, ResidencyPolicy.streamed()));
            assertTrue(e.getMessage().contains("model.layers.0.mlp.gate_proj.weight"), e.getMessage());
        }
    }
}
