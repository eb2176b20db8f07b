package org.layered.store;

import org.layered.engine.DType;
import org.layered.weights.safetensors.SafetensorsWriter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

/**
 * A tiny stand-in for Qwen/Qwen-Image-Layered with every component folder of the real repository, configs
 * carrying the keys the descriptor expects, small real safetensors files (a sharded transformer with its index),
 * and files the descriptor excludes (.gitattributes).
 */
public final class TinyHubModel {
    public static final String REPO = "Qwen/Qwen-Image-Layered";
    public static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";
    public static final String VAE = "vae/diffusion_pytorch_model.safetensors";
    public static final String SHARD1 = "transformer/diffusion_pytorch_model-00001-of-00002.safetensors";
    public static final String SHARD2 = "transformer/diffusion_pytorch_model-00002-of-00002.safetensors";
    public static final String TEXT = "text_encoder/model.safetensors";

    /** Path → content. */
    public final Map<String, byte[]> files = new LinkedHashMap<>();
    /** Paths stored with git LFS. */
    public final Set<String> lfs = Set.of(VAE, SHARD1, SHARD2, TEXT);

    private TinyHubModel() {}

    public static TinyHubModel build() {
        try {
            return build0();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static TinyHubModel build0() throws IOException {
        TinyHubModel m = new TinyHubModel();
        Path tmp = Files.createTempDirectory("tiny-hub-model");
        try {
            Random rnd = new Random(7);
            m.text(".gitattributes", "*.safetensors filter=lfs diff=lfs merge=lfs -text\n");
            m.text("README.md", "---\nlicense: apache-2.0\n---\n# tiny stand-in\n");
            m.text("model_index.json", """
                    {"_class_name": "QwenImageLayeredPipeline", "_diffusers_version": "0.36.0",
                     "scheduler": ["diffusers", "FlowMatchEulerDiscreteScheduler"],
                     "vae": ["diffusers", "AutoencoderKLQwenImage"],
                     "transformer": ["diffusers", "QwenImageTransformer2DModel"],
                     "text_encoder": ["transformers", "Qwen2_5_VLForConditionalGeneration"],
                     "tokenizer": ["transformers", "Qwen2Tokenizer"],
                     "processor": ["transformers", "Qwen2VLProcessor"]}
                    """);
            m.text("scheduler/scheduler_config.json", """
                    {"_class_name": "FlowMatchEulerDiscreteScheduler", "num_train_timesteps": 1000,
                     "use_dynamic_shifting": true, "time_shift_type": "linear", "shift_terminal": false}
                    """);
            m.text("transformer/config.json", """
                    {"_class_name": "QwenImageTransformer2DModel", "patch_size": 2, "in_channels": 64,
                     "out_channels": 16, "num_layers": 1, "num_attention_heads": 2, "attention_head_dim": 8,
                     "joint_attention_dim": 16, "axes_dims_rope": [2, 3, 3], "use_additional_t_cond": true,
                     "use_layer3d_rope": true}
                    """);
            m.text("vae/config.json", """
                    {"_class_name": "AutoencoderKLQwenImage", "base_dim": 8, "z_dim": 4, "dim_mult": [1, 2],
                     "num_res_blocks": 1, "temperal_downsample": [false], "input_channels": 4,
                     "latents_mean": [0, 0, 0, 0], "latents_std": [1, 1, 1, 1]}
                    """);
            m.text("text_encoder/config.json", """
                    {"model_type": "qwen2_5_vl", "architectures": ["Qwen2_5_VLForConditionalGeneration"]}
                    """);
            m.text("tokenizer/tokenizer_config.json", "{\"tokenizer_class\": \"Qwen2Tokenizer\"}\n");
            m.text("tokenizer/vocab.json", "{\"a\": 0, \"b\": 1}\n");
            m.text("tokenizer/merges.txt", "#version: 0.2\na b\n");
            m.text("processor/preprocessor_config.json", "{\"image_processor_type\": \"Qwen2VLImageProcessor\"}\n");
            // weights: the VAE is the largest file (~200 KB) so truncation tests cut it mid-way
            m.weights(tmp, VAE, "decoder.conv_in.weight", new long[] {200, 512}, rnd);
            m.weights(tmp, SHARD1, "transformer_blocks.0.attn.to_q.weight", new long[] {64, 64}, rnd);
            m.weights(tmp, SHARD2, "proj_out.weight", new long[] {64, 32}, rnd);
            m.weights(tmp, TEXT, "model.embed_tokens.weight", new long[] {32, 16}, rnd);
            Map<String, String> map = new TreeMap<>();
            map.put("transformer_blocks.0.attn.to_q.weight", SHARD1.substring("transformer/".length()));
            map.put("proj_out.weight", SHARD2.substring("transformer/".length()));
            Path index = tmp.resolve("index.json");
            SafetensorsWriter.writeIndex(index, map, Map.of("total_size", 64 * 64 * 2 + 64 * 32 * 2));
            m.files.put("transformer/diffusion_pytorch_model.safetensors.index.json", Files.readAllBytes(index));
            return m;
        } finally {
            try (var s = Files.walk(tmp)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private void text(String path, String content) {
        files.put(path, content.getBytes(StandardCharsets.UTF_8));
    }

    private void weights(Path tmp, String path, String name, long[] shape, Random rnd) throws IOException {
        int n = (int) (shape[0] * shape[1]);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) rnd.nextGaussian();
        }
        Path f = tmp.resolve("w" + files.size() + ".safetensors");
        new SafetensorsWriter().putFloats(name, DType.BF16, shape, v).write(f);
        files.put(path, Files.readAllBytes(f));
    }

    /** Serves this model from a fake hub repository. */
    public FakeHub.Repo publish(FakeHub hub, String repo, String commit) {
        FakeHub.Repo r = hub.addRepo(repo, commit);
        for (Map.Entry<String, byte[]> e : files.entrySet()) {
            r.put(e.getKey(), e.getValue(), lfs.contains(e.getKey()));
        }
        return r;
    }

    /** Files the descriptor downloads (all but .gitattributes). */
    public Map<String, byte[]> modelFiles() {
        Map<String, byte[]> out = new LinkedHashMap<>(files);
        out.remove(".gitattributes");
        return out;
    }

    public byte[] get(String path) {
        return files.get(path);
    }
}
