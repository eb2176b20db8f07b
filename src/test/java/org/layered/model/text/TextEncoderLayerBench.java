package org.layered.model.text;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layered.engine.ComputeDevice;
import org.layered.engine.DType;
import org.layered.engine.Ops;
import org.layered.engine.Precision;
import org.layered.engine.Tensor;
import org.layered.engine.TensorScope;
import org.layered.weights.residency.ResidencyPolicy;
import org.layered.weights.safetensors.SafetensorsWriter;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Time per decoder layer at the real Qwen2.5-VL-7B sizes (synthetic bf16 weights, 2 layers, small vocabulary),
 * streamed and computed in float32 on the CPU. Not part of the default suite:
 * {@code mvn test -DexcludedGroups=none -Dtest=TextEncoderLayerBench}.
 */
@Tag("bench")
class TextEncoderLayerBench {

    @Test
    void realSizeLayersStreamedInFloat32(@TempDir Path dir) throws IOException {
        int layers = 2;
        int vocab = 2048;
        Qwen2TextConfig real = Qwen2TextConfig.qwen25Vl7b();
        long d = real.hiddenSize();
        long kv = (long) real.numKvHeads() * real.headDim();
        long f = real.intermediateSize();
        SafetensorsWriter w = new SafetensorsWriter();
        SplittableRandom rnd = new SplittableRandom(1);
        put(w, "model.embed_tokens.weight", rnd, 1.0, vocab, d);
        put(w, "model.norm.weight", rnd, 0, d);
        for (int i = 0; i < layers; i++) {
            String p = "model.layers." + i + ".";
            double s = 1 / Math.sqrt(d);
            put(w, p + "input_layernorm.weight", rnd, 0, d);
            put(w, p + "post_attention_layernorm.weight", rnd, 0, d);
            put(w, p + "self_attn.q_proj.weight", rnd, s, d, d);
            put(w, p + "self_attn.q_proj.bias", rnd, s, d);
            put(w, p + "self_attn.k_proj.weight", rnd, s, kv, d);
            put(w, p + "self_attn.k_proj.bias", rnd, s, kv);
            put(w, p + "self_attn.v_proj.weight", rnd, s, kv, d);
            put(w, p + "self_attn.v_proj.bias", rnd, s, kv);
            put(w, p + "self_attn.o_proj.weight", rnd, s, d, d);
            put(w, p + "mlp.gate_proj.weight", rnd, s, f, d);
            put(w, p + "mlp.up_proj.weight", rnd, s, f, d);
            put(w, p + "mlp.down_proj.weight", rnd, 1 / Math.sqrt(f), d, f);
        }
        w.write(dir.resolve("model.safetensors"));
        Files.writeString(dir.resolve("config.json"), "{\"hidden_size\": 3584, \"num_hidden_layers\": " + layers
                + ", \"num_attention_heads\": 28, \"num_key_value_heads\": 4, \"intermediate_size\": 18944, "
                + "\"vocab_size\": " + vocab + ", \"rms_norm_eps\": 1e-6, \"rope_theta\": 1000000.0, "
                + "\"rope_scaling\": {\"type\": \"mrope\", \"mrope_section\": [16, 24, 24]}}");
        long[] prompt = new long[56];
        long[] negative = new long[40];
        for (int i = 0; i < prompt.length; i++) {
            prompt[i] = (i * 37) % vocab;
        }
        for (int i = 0; i < negative.length; i++) {
            negative[i] = (i * 11) % vocab;
        }
        try (org.layered.weights.SafetensorsWeights src = org.layered.weights.SafetensorsWeights.open(dir);
                TensorScope s = TensorScope.open()) {
            long t0 = System.nanoTime();
            Tensor bf = src.load("model.layers.0.mlp.gate_proj.weight", DType.BF16, ComputeDevice.CPU);
            long t1 = System.nanoTime();
            Tensor f32 = Ops.cast(bf, DType.F32);
            long t2 = System.nanoTime();
            Ops.linear(Ops.fromFloats(new float[96 * 3584], new long[] {96, 3584}, ComputeDevice.CPU), f32, null)
                    .toFloats();
            long t3 = System.nanoTime();
            System.out.printf("gate_proj [18944, 3584]: load bf16 %.0f ms, cast to f32 %.0f ms, 96-token linear "
                    + "%.0f ms%n", (t1 - t0) / 1e6, (t2 - t1) / 1e6, (t3 - t2) / 1e6);
        }
        for (ResidencyPolicy policy : new ResidencyPolicy[] {ResidencyPolicy.streamed(), ResidencyPolicy.resident()}) {
            long l0 = System.nanoTime();
            try (Qwen2LanguageModel m = Qwen2LanguageModel.open(dir, ComputeDevice.CPU, Precision.FLOAT32, policy)) {
                double load = (System.nanoTime() - l0) / 1e6;
                for (int rep = 0; rep < 2; rep++) {
                    try (TensorScope s = TensorScope.open()) {
                        long t0 = System.nanoTime();
                        var out = m.forward(List.of(TextBatch.of(prompt), TextBatch.of(negative)),
                                TextForwardObserver.NONE);
                        float[] v = out.get(0).toFloats();
                        double ms = (System.nanoTime() - t0) / 1e6;
                        assertArrayEquals(new long[] {1, 56, 3584}, out.get(0).shape());
                        assertTrue(Float.isFinite(v[0]) && Float.isFinite(v[v.length - 1]));
                        System.out.printf("7B-size text layers, %s (open %.0f ms), float32, prompt 56 + negative "
                                + "40 tokens: %.0f ms/layer (28 layers: ~%.0f s)%n", m.describeResidency(), load,
                                ms / layers, ms / layers * 28 / 1000);
                    }
                }
            }
        }
    }

    private static void put(SafetensorsWriter w, String name, SplittableRandom rnd, double scale, long... shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(n * 2)).order(ByteOrder.LITTLE_ENDIAN);
        for (long i = 0; i < n; i++) {
            float v = scale == 0 ? 1f + (float) (0.1 * rnd.nextGaussian()) : (float) (scale * (rnd.nextDouble() * 2 - 1));
            b.putShort((short) (Float.floatToRawIntBits(v) >>> 16));
        }
        w.put(name, DType.BF16, shape, b.flip());
    }
}
