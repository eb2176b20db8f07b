package org.layered.weights;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layered.engine.ComputeDevice;
import org.layered.engine.DType;
import org.layered.engine.Ops;
import org.layered.engine.Tensor;
import org.layered.engine.TensorScope;
import org.layered.model.transformer.QwenImageTransformer;
import org.layered.model.transformer.TransformerConfig;
import org.layered.model.transformer.TransformerLayout;
import org.layered.pipeline.ModelCheck;
import org.layered.testing.TinyModel;
import org.layered.weights.residency.ResidencyPolicy;
import org.layered.weights.residency.WeightGroup;
import org.layered.weights.residency.WeightFormat;
import org.layered.weights.safetensors.SafetensorsFile;
import org.layered.weights.safetensors.SafetensorsWriter;
import org.layered.weights.safetensors.TensorInfo;
import org.layered.weights.safetensors.TensorValues;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Pre-quantised transformers in ComfyUI's float8 layouts, written here from the tiny golden transformer: read under
 * the diffusers names, dequantised exactly (the same values as a float32 checkpoint holding {@code q * scale}), and
 * held as float8 without quantising them again.
 */
class ComfyFp8WeightsTest {
    private static final Path GOLDEN = TinyModel.GOLDEN.resolve("transformer");
    private static final String MIXED = "transformer_blocks.1.img_mlp.net.2.weight"; // left in bf16 ("mixed")

    @TempDir
    Path dir;

    /** Which of ComfyUI's layouts to write. */
    private enum Layout { COMFY_QUANT, SCALED_FP8, METADATA }

    /**
     * Writes the golden transformer in {@code layout} into {@code comfy/} and, beside it, the float32 checkpoint of
     * the values it stands for into {@code reference/} (both with the golden config).
     */
    private void write(Layout layout) throws Exception {
        SafetensorsWriter comfy = new SafetensorsWriter();
        SafetensorsWriter reference = new SafetensorsWriter();
        String prefix = layout == Layout.COMFY_QUANT ? "model.diffusion_model." : "";
        Set<String> linear = linearWeights();
        StringBuilder layers = new StringBuilder();
        try (SafetensorsFile f = SafetensorsFile.open(GOLDEN.resolve("diffusion_pytorch_model.safetensors"))) {
            for (TensorInfo t : f.tensors()) {
                String name = t.name();
                float[] v = TensorValues.toFloats(t, f.data(name));
                if (!linear.contains(name) || name.equals(MIXED)) {
                    comfy.putFloats(prefix + name, DType.BF16, t.shape(), v);
                    reference.putFloats(name, DType.F32, t.shape(), v);
                    continue;
                }
                float amax = 0;
                for (float x : v) {
                    amax = Math.max(amax, Math.abs(x));
                }
                float scale = amax / 448f;
                float[] q = new float[v.length];
                float[] back = new float[v.length];
                for (int i = 0; i < v.length; i++) {
                    q[i] = TensorValues.f8e4m3ToFloat(TensorValues.floatToF8e4m3(v[i] / scale));
                    back[i] = q[i] * scale;
                }
                comfy.putFloats(prefix + name, DType.F8_E4M3, t.shape(), q);
                reference.putFloats(name, DType.F32, t.shape(), back);
                String layer = prefix + name.substring(0, name.length() - "weight".length());
                switch (layout) {
                    case COMFY_QUANT -> {
                        comfy.putFloats(layer + "weight_scale", DType.F32, new long[] {}, new float[] {scale});
                        byte[] json = "{\"format\": \"float8_e4m3fn\"}".getBytes(StandardCharsets.UTF_8);
                        long[] bytes = new long[json.length];
                        for (int i = 0; i < json.length; i++) {
                            bytes[i] = json[i];
                        }
                        comfy.putLongs(layer + "comfy_quant", DType.U8, new long[] {json.length}, bytes);
                        comfy.putFloats(layer + "input_scale", DType.F32, new long[] {}, new float[] {1f});
                    }
                    case SCALED_FP8 -> comfy.putFloats(layer + "scale_weight", DType.F32, new long[] {1},
                            new float[] {scale});
                    case METADATA -> {
                        comfy.putFloats(layer + "weight_scale", DType.F32, new long[] {}, new float[] {scale});
                        layers.append(layers.length() == 0 ? "" : ", ").append('"').append(layer, 0,
                                layer.length() - 1).append("\": {\"format\": \"float8_e4m3fn\"}");
                    }
                }
            }
        }
        if (layout == Layout.SCALED_FP8) {
            comfy.putFloats("scaled_fp8", DType.F8_E4M3, new long[] {0}, new float[0]);
        }
        if (layout == Layout.METADATA) {
            comfy.metadata(Map.of("_quantization_metadata", "{\"format_version\": \"1.0\", \"layers\": {" + layers
                    + "}}"));
        }
        for (String d : new String[] {"comfy", "reference"}) {
            Files.createDirectories(dir.resolve(d));
            Files.copy(GOLDEN.resolve("config.json"), dir.resolve(d).resolve("config.json"));
        }
        comfy.write(dir.resolve("comfy").resolve("qwen_image_layered_fp8mixed.safetensors"));
        reference.write(dir.resolve("reference").resolve("diffusion_pytorch_model.safetensors"));
    }

    @Test
    void everyComfyLayoutReadsAsTheValuesItStandsForAndStaysFloat8() throws Exception {
        for (Layout layout : Layout.values()) {
            write(layout);
            try (WeightSource w = ComfyFp8Weights.open(dir.resolve("comfy"))) {
                assertTrue(w instanceof ComfyFp8Weights, layout + ": " + w.describe());
                assertEquals(TransformerLayout.parameterShapes(TransformerConfig.read(GOLDEN)).keySet(), w.names(),
                        layout.toString());
                Set<String> quantized = ((ComfyFp8Weights) w).quantized();
                assertEquals(linearWeights().size() - 1, quantized.size());
                assertFalse(quantized.contains(MIXED));
            }
            float[] expected = forward(dir.resolve("reference"), WeightFormat.BF16);
            assertEquals(0.0, maxDiff(expected, forward(dir.resolve("comfy"), WeightFormat.BF16)), layout
                    + ": dequantised on load");
            assertEquals(0.0, maxDiff(expected, forward(dir.resolve("comfy"), WeightFormat.FP8)), layout
                    + ": held as the file's float8 values (its bf16 layer as bf16), dequantised per group");
            deleteTree(dir.resolve("comfy"));
            deleteTree(dir.resolve("reference"));
        }
    }

    @Test
    void theModelCheckAcceptsTheLayoutAndPlainCheckpointsStayPlain() throws Exception {
        write(Layout.COMFY_QUANT);
        try (WeightSource plain = ComfyFp8Weights.open(dir.resolve("reference"))) {
            assertTrue(plain instanceof SafetensorsWeights);
        }
        Path model = dir.resolve("model");
        TinyModel.build(model, 4);
        Files.delete(TinyModel.weights(model, "transformer"));
        Files.copy(dir.resolve("comfy").resolve("qwen_image_layered_fp8mixed.safetensors"),
                model.resolve("transformer").resolve("qwen_image_layered_fp8mixed.safetensors"));
        ModelCheck.of(model).requireRunnable();
    }

    private static float[] forward(Path transformer, WeightFormat format) throws Exception {
        ComputeDevice cpu = ComputeDevice.CPU;
        try (QwenImageTransformer t = QwenImageTransformer.load(transformer, QwenImageTransformer.Options.cpu()
                .withResidency(ResidencyPolicy.resident().withFormat(format))); TensorScope s = TensorScope.open()) {
            Tensor x = Ops.seededNormal(1, new long[] {1, 64, 64}, cpu);
            Tensor e = Ops.seededNormal(2, new long[] {1, 6, 48}, cpu);
            return t.forward(x, e, null, new float[] {0.75f}, new long[] {0}, 2, 4, 4).toFloats();
        }
    }

    private static double maxDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    private static void deleteTree(Path p) throws Exception {
        try (var s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(q);
            }
        }
    }

    /** The golden transformer's linear weights, as its weight groups name them. */
    private static Set<String> linearWeights() throws Exception {
        Set<String> out = new TreeSet<>();
        for (WeightGroup g : TransformerLayout.groups(TransformerConfig.read(GOLDEN))) {
            g.linear().forEach(l -> out.add(g.fullName(l)));
        }
        return out;
    }
}
