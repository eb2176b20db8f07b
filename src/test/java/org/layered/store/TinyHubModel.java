package org.layered.store;

import org.layered.engine.DType;
import org.layered.testing.TinyModel;
import org.layered.weights.safetensors.SafetensorsFile;
import org.layered.weights.safetensors.SafetensorsWriter;
import org.layered.weights.safetensors.TensorInfo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * A tiny stand-in for Qwen/Qwen-Image-Layered with every component folder of the real repository: the tiny golden
 * model's configs and weight layouts with random values (a sharded transformer with its index), so that the folder
 * passes the checks of loading, and files the descriptor excludes (.gitattributes).
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
            m.text("model_index.json", TinyModel.MODEL_INDEX);
            // components of the tiny golden model, so that the folder loads (configs and weight layouts from
            // src/test/resources/golden, random values); the transformer is split in two shards with an index
            Path golden = TinyModel.GOLDEN;
            m.copy(golden.resolve("scheduler/scheduler_config.json"), "scheduler/scheduler_config.json");
            m.copy(golden.resolve("vae/config.json"), "vae/config.json");
            m.copy(golden.resolve("transformer/config.json"), "transformer/config.json");
            m.copy(golden.resolve("text_encoder/config.json"), "text_encoder/config.json");
            m.text("tokenizer/tokenizer_config.json", "{\"tokenizer_class\": \"Qwen2Tokenizer\"}\n");
            m.text("tokenizer/vocab.json", "{\"a\": 0, \"b\": 1}\n");
            m.text("tokenizer/merges.txt", "#version: 0.2\na b\n");
            m.text("processor/preprocessor_config.json", "{\"image_processor_type\": \"Qwen2VLImageProcessor\"}\n");
            // weights: the VAE is the largest file (~1.9 MB) so truncation tests cut it mid-way
            Path transformer = golden.resolve("transformer/diffusion_pytorch_model.safetensors");
            m.weights(tmp, VAE, golden.resolve("vae/diffusion_pytorch_model.safetensors"), rnd, n -> true);
            m.weights(tmp, SHARD1, transformer, rnd, n -> n.startsWith("transformer_blocks."));
            m.weights(tmp, SHARD2, transformer, rnd, n -> !n.startsWith("transformer_blocks."));
            m.weights(tmp, TEXT, golden.resolve("text_encoder/model.safetensors"), rnd, n -> true);
            Map<String, String> map = new TreeMap<>();
            long total = 0;
            for (String shard : List.of(SHARD1, SHARD2)) {
                Path f = tmp.resolve("shard.safetensors");
                Files.write(f, m.files.get(shard));
                try (SafetensorsFile sf = SafetensorsFile.open(f)) {
                    for (TensorInfo t : sf.tensors()) {
                        map.put(t.name(), shard.substring("transformer/".length()));
                        total += t.byteSize();
                    }
                }
            }
            Path index = tmp.resolve("index.json");
            SafetensorsWriter.writeIndex(index, map, Map.of("total_size", total));
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

    private void copy(Path from, String path) throws IOException {
        files.put(path, Files.readAllBytes(from));
    }

    private void weights(Path tmp, String path, Path layout, Random rnd, Predicate<String> include)
            throws IOException {
        Path f = tmp.resolve("w" + files.size() + ".safetensors");
        TinyModel.randomWeights(layout, f, rnd, DType.BF16, include);
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
