package org.layered.model.transformer;

import org.layered.weights.residency.ResidencyPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layered.engine.Tensor;
import org.layered.engine.TensorScope;
import org.layered.weights.config.ConfigException;
import org.layered.weights.config.JsonConfig;
import org.layered.weights.safetensors.SafetensorsFile;
import org.layered.weights.safetensors.SafetensorsWriter;
import org.layered.weights.safetensors.TensorInfo;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Config parsing and validation; loading single-file and sharded checkpoints; weight/config mismatches. */
class TransformerLoadTest {
    @TempDir
    Path tmp;

    private static final String RELEASED = """
            {"_class_name": "QwenImageTransformer2DModel", "_diffusers_version": "0.36.0.dev0",
             "attention_head_dim": 128, "axes_dims_rope": [16, 56, 56], "guidance_embeds": false,
             "in_channels": 64, "joint_attention_dim": 3584, "num_attention_heads": 24, "num_layers": 60,
             "out_channels": 16, "patch_size": 2, "use_additional_t_cond": true, "use_layer3d_rope": true,
             "zero_cond_t": false}
            """;

    private Path writeConfig(Path dir, String json) throws IOException {
        Files.createDirectories(dir);
        return Files.writeString(dir.resolve("config.json"), json);
    }

    @Test
    void releasedAndTinyConfigs() throws IOException {
        TransformerConfig released = TransformerConfig.read(writeConfig(tmp.resolve("rel"), RELEASED));
        assertEquals(TransformerConfig.released(), released);
        assertEquals(3072, released.innerDim());
        assertEquals(64, released.outFeatures());
        assertArrayEquals(new int[] {16, 56, 56}, released.axesDimsRope());
        TransformerConfig tiny = TransformerConfig.read(Golden.transformerDir());
        assertEquals(new TransformerConfig(2, 64, 16, 2, 32, 2, 48, new int[] {8, 12, 12}, true), tiny);
    }

    @Test
    void unsupportedOrInconsistentConfigsAreRejected() throws IOException {
        String[][] cases = {
            {"\"zero_cond_t\": false", "\"zero_cond_t\": true", "zero_cond_t"},
            {"\"use_layer3d_rope\": true", "\"use_layer3d_rope\": false", "use_layer3d_rope"},
            {"\"guidance_embeds\": false", "\"guidance_embeds\": true", "guidance_embeds"},
            {"[16, 56, 56]", "[16, 56, 58]", "axes_dims_rope"},
            {"[16, 56, 56]", "[15, 57, 56]", "even"},
            {"\"num_layers\": 60", "\"num_layers\": \"x\"", "num_layers"},
        };
        int i = 0;
        for (String[] c : cases) {
            Path f = writeConfig(tmp.resolve("bad" + i++), RELEASED.replace(c[0], c[1]));
            ConfigException e = assertThrows(ConfigException.class, () -> TransformerConfig.read(f));
            assertTrue(e.getMessage().contains(c[2]) && e.getMessage().contains(f.toString()), e.getMessage());
        }
    }

    /** Writes the golden weights into {@code shards} shards plus index, as diffusers names them. */
    private Path shardedCopy(int shards) throws IOException {
        Path dir = tmp.resolve("sharded");
        Files.createDirectories(dir);
        Files.copy(Golden.transformerDir().resolve("config.json"), dir.resolve("config.json"));
        Map<String, String> weightMap = new TreeMap<>();
        long total = 0;
        try (SafetensorsFile src = SafetensorsFile.open(
                Golden.transformerDir().resolve("diffusion_pytorch_model.safetensors"))) {
            List<TensorInfo> all = src.tensors();
            SafetensorsWriter[] writers = new SafetensorsWriter[shards];
            for (int s = 0; s < shards; s++) {
                writers[s] = new SafetensorsWriter().metadata(Map.of("format", "pt"));
            }
            for (int k = 0; k < all.size(); k++) {
                TensorInfo info = all.get(k);
                int s = k * shards / all.size();
                List<ByteBuffer> data = src.data(info.name());
                assertEquals(1, data.size());
                ByteBuffer copy = ByteBuffer.allocate(data.get(0).remaining()).put(data.get(0).duplicate()).flip();
                writers[s].put(info.name(), info.dtype(), info.shape(), copy);
                String file = String.format("diffusion_pytorch_model-%05d-of-%05d.safetensors", s + 1, shards);
                weightMap.put(info.name(), file);
                total += info.byteSize();
            }
            for (int s = 0; s < shards; s++) {
                writers[s].write(dir.resolve(String.format("diffusion_pytorch_model-%05d-of-%05d.safetensors",
                        s + 1, shards)));
            }
        }
        SafetensorsWriter.writeIndex(dir.resolve("diffusion_pytorch_model.safetensors.index.json"), weightMap,
                Map.of("total_size", total));
        return dir;
    }

    private static float[] goldenOutput(QwenImageTransformer m) throws IOException {
        try (Golden g = Golden.case1(); TensorScope s = TensorScope.open()) {
            Tensor out = m.forward(g.tensor("hidden_states"), g.tensor("encoder_hidden_states"), null,
                    g.tensor("timestep"), g.longTensor("additional_t_cond"), FrameShape.layered(2, 4, 4));
            double err = Golden.maxAbsDiff(g.floats("nomask.output"), out.toFloats());
            assertTrue(err <= 1e-5, "output error " + err);
            return out.toFloats();
        }
    }

    @Test
    void shardedSingleFileAndIndexPathsLoadTheSameModel() throws IOException {
        Path dir = shardedCopy(2);
        float[] single;
        try (QwenImageTransformer m = QwenImageTransformer.load(
                Golden.transformerDir().resolve("diffusion_pytorch_model.safetensors"))) {
            single = goldenOutput(m);
        }
        for (Path p : List.of(dir, dir.resolve("diffusion_pytorch_model.safetensors.index.json"))) {
            for (ResidencyPolicy policy : List.of(ResidencyPolicy.resident(), ResidencyPolicy.streamed())) {
                try (QwenImageTransformer m = QwenImageTransformer.load(p,
                        QwenImageTransformer.Options.cpu().withResidency(policy))) {
                    assertEquals(0.0, Golden.maxAbsDiff(single, goldenOutput(m)), p + " " + policy);
                }
            }
        }
    }

    @Test
    void weightsThatDoNotMatchTheConfigAreNamed() throws IOException {
        Path dir = shardedCopy(2);
        String cfg = Files.readString(dir.resolve("config.json"));
        Files.writeString(dir.resolve("config.json"), cfg.replace("\"num_layers\": 2", "\"num_layers\": 3"));
        IOException e = assertThrows(IOException.class, () -> QwenImageTransformer.load(dir));
        assertTrue(e.getMessage().contains("missing transformer_blocks.2.img_mod.1.weight"), e.getMessage());

        Files.writeString(dir.resolve("config.json"), cfg.replace("\"num_layers\": 2", "\"num_layers\": 1"));
        e = assertThrows(IOException.class, () -> QwenImageTransformer.load(dir));
        assertTrue(e.getMessage().contains("transformer_blocks.1"), e.getMessage());

        Files.writeString(dir.resolve("config.json"), cfg.replace("\"joint_attention_dim\": 48",
                "\"joint_attention_dim\": 40"));
        e = assertThrows(IOException.class, () -> QwenImageTransformer.load(dir));
        assertTrue(e.getMessage().contains("txt_in.weight has shape [64, 48], expected [64, 40]"), e.getMessage());
        assertFalse(e.getMessage().isEmpty());
    }

    @Test
    void badInputsAreRejectedWithShapes() throws IOException {
        try (QwenImageTransformer m = QwenImageTransformer.load(Golden.transformerDir());
                Golden g = Golden.case1(); TensorScope s = TensorScope.open()) {
            Tensor hs = g.tensor("hidden_states");
            Tensor enc = g.tensor("encoder_hidden_states");
            Tensor ts = g.tensor("timestep");
            Tensor flags = g.longTensor("additional_t_cond");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> m.forward(hs, enc, null, ts, flags, FrameShape.layered(3, 4, 4)));
            assertTrue(e.getMessage().contains("80 image tokens"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> m.forward(hs, enc, null, ts, null, FrameShape.layered(2, 4, 4)));
            assertTrue(e.getMessage().contains("additional_t_cond"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> m.forward(hs, enc, null, new float[] {0.5f},
                    new long[] {2}, 2, 4, 4));
            assertTrue(e.getMessage().contains("[0, 2)"), e.getMessage());
        }
        JsonConfig.class.getName(); // keep the import meaningful for readers: configs come from JsonConfig
    }
}
