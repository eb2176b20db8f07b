package org.layered.weights.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.layered.weights.safetensors.RawFiles.assertFormatError;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layered.engine.DType;

class ShardedCheckpointTest {
    @TempDir
    Path dir;

    private static final String SHARD1 = "diffusion_pytorch_model-00001-of-00002.safetensors";
    private static final String SHARD2 = "diffusion_pytorch_model-00002-of-00002.safetensors";
    private static final String INDEX = "diffusion_pytorch_model.safetensors.index.json";

    /** Two shards and an index, as diffusers' save_pretrained writes them. */
    private Path writeSharded(Path folder) throws IOException {
        Files.createDirectories(folder);
        new SafetensorsWriter().metadata(Map.of("format", "pt"))
                .putFloats("blocks.0.w", DType.BF16, new long[] {2, 2}, new float[] {1, 2, 3, 4})
                .putFloats("blocks.0.b", DType.BF16, new long[] {2}, new float[] {-1, -2})
                .write(folder.resolve(SHARD1));
        new SafetensorsWriter().metadata(Map.of("format", "pt"))
                .putFloats("blocks.1.w", DType.BF16, new long[] {1, 3}, new float[] {5, 6, 7})
                .putLongs("steps", new long[] {2}, new long[] {10, 20})
                .write(folder.resolve(SHARD2));
        Map<String, String> weightMap = new TreeMap<>();
        weightMap.put("blocks.0.w", SHARD1);
        weightMap.put("blocks.0.b", SHARD1);
        weightMap.put("blocks.1.w", SHARD2);
        weightMap.put("steps", SHARD2);
        Map<String, Object> md = new LinkedHashMap<>();
        md.put("total_size", 8 + 4 + 6 + 16);
        SafetensorsWriter.writeIndex(folder.resolve(INDEX), weightMap, md);
        return folder;
    }

    @Test
    void shardedRoundTrip() throws IOException {
        Path folder = writeSharded(dir.resolve("transformer"));
        Files.writeString(folder.resolve("config.json"), "{}"); // other json files are ignored
        for (Path source : List.of(folder, folder.resolve(INDEX))) {
            try (ShardedCheckpoint c = ShardedCheckpoint.open(source)) {
                assertEquals(folder.resolve(INDEX).toAbsolutePath().normalize(),
                        c.source().toAbsolutePath().normalize());
                assertEquals(Set.of("blocks.0.b", "blocks.0.w", "blocks.1.w", "steps"), c.names());
                assertEquals(List.of("blocks.0.b", "blocks.0.w", "blocks.1.w", "steps"), new ArrayList<>(c.names()));
                assertEquals(2, c.files().size());
                assertEquals(SHARD1, c.files().get(0).getFileName().toString());
                assertEquals(SHARD2, c.files().get(1).getFileName().toString());
                assertEquals(4, c.tensors().size());
                assertEquals(34, c.totalBytes());
                assertEquals("34", c.metadata().get("total_size"));
                assertTrue(c.contains("steps"));
                assertFalse(c.contains("blocks.2.w"));
                assertEquals(DType.BF16, c.info("blocks.1.w").dtype());
                assertArrayEquals(new long[] {1, 3}, c.info("blocks.1.w").shape());
                assertEquals(SHARD2, c.fileOf("steps").path().getFileName().toString());
                assertArrayEquals(new float[] {1, 2, 3, 4},
                        TensorValues.toFloats(c.info("blocks.0.w"), c.data("blocks.0.w")));
                assertArrayEquals(new float[] {5, 6, 7},
                        TensorValues.toFloats(c.info("blocks.1.w"), c.data("blocks.1.w")));
                assertArrayEquals(new long[] {10, 20}, TensorValues.toLongs(c.info("steps"), c.data("steps")));
                NoSuchElementException e = assertThrows(NoSuchElementException.class, () -> c.info("blocks.2.w"));
                assertTrue(e.getMessage().contains("'blocks.2.w'") && e.getMessage().contains(INDEX)
                        && e.getMessage().contains("'blocks.1.w'"), e.getMessage());
            }
        }
        String index = Files.readString(folder.resolve(INDEX), StandardCharsets.UTF_8);
        assertTrue(index.contains("\"weight_map\"") && index.contains("\"total_size\": 34"), index);
    }

    @Test
    void singleFileFolderAndFile() throws IOException {
        Path folder = Files.createDirectories(dir.resolve("vae"));
        Path file = folder.resolve("diffusion_pytorch_model.safetensors");
        new SafetensorsWriter().metadata(Map.of("format", "pt"))
                .putFloats("w", new long[] {2}, new float[] {1, 2}).write(file);
        for (Path source : List.of(folder, file)) {
            try (ShardedCheckpoint c = ShardedCheckpoint.open(source)) {
                assertEquals(List.of(file), c.files());
                assertEquals(Set.of("w"), c.names());
                assertEquals("pt", c.metadata().get("format"));
                assertSame(c.fileOf("w"), c.fileOf("w"));
                assertArrayEquals(new float[] {1, 2}, TensorValues.toFloats(c.info("w"), c.data("w")));
            }
        }
    }

    @Test
    void missingShard() throws IOException {
        Path folder = writeSharded(dir.resolve("m"));
        Files.delete(folder.resolve(SHARD2));
        Path index = folder.resolve(INDEX);
        assertFormatError(index, () -> ShardedCheckpoint.open(folder), "tensor 'blocks.1.w'",
                "shard '" + SHARD2 + "' listed in the index is missing", "download the missing shard");
    }

    @Test
    void tensorMissingFromItsShard() throws IOException {
        Path folder = writeSharded(dir.resolve("t"));
        Path index = folder.resolve(INDEX);
        Map<String, String> weightMap = new TreeMap<>();
        weightMap.put("blocks.0.w", SHARD1);
        weightMap.put("blocks.0.b", SHARD1);
        weightMap.put("blocks.1.w", SHARD2);
        weightMap.put("steps", SHARD1); // wrong shard
        weightMap.put("ghost", SHARD2); // nowhere
        SafetensorsWriter.writeIndex(index, weightMap, null);
        assertFormatError(index, () -> ShardedCheckpoint.open(index), "tensor 'ghost'",
                "maps it to shard '" + SHARD2 + "', but that shard has no such tensor");
        weightMap.remove("ghost");
        SafetensorsWriter.writeIndex(index, weightMap, null);
        assertFormatError(index, () -> ShardedCheckpoint.open(index), "tensor 'steps'",
                "no such tensor (it is in '" + SHARD2 + "')");
    }

    @Test
    void duplicateTensorAcrossShards() throws IOException {
        Path folder = writeSharded(dir.resolve("d"));
        new SafetensorsWriter().putFloats("blocks.1.w", DType.BF16, new long[] {1, 3}, new float[] {5, 6, 7})
                .putFloats("blocks.0.w", new long[] {1}, new float[] {9}).write(folder.resolve(SHARD2));
        Map<String, String> weightMap = new TreeMap<>(Map.of("blocks.0.w", SHARD1, "blocks.1.w", SHARD2));
        SafetensorsWriter.writeIndex(folder.resolve(INDEX), weightMap, Map.of());
        assertFormatError(folder.resolve(INDEX), () -> ShardedCheckpoint.open(folder), "tensor 'blocks.0.w'",
                "is in two shards, '" + SHARD1 + "' and '" + SHARD2 + "'");
    }

    @Test
    void unlistedTensorsInAShardAreKept() throws IOException {
        Path folder = writeSharded(dir.resolve("u"));
        SafetensorsWriter.writeIndex(folder.resolve(INDEX), Map.of("blocks.0.w", SHARD1, "steps", SHARD2), null);
        try (ShardedCheckpoint c = ShardedCheckpoint.open(folder)) {
            assertEquals(4, c.names().size()); // loaders read whole shards, so the index is not a filter
        }
    }

    @Test
    void severalSafetensorsFilesWithoutIndex() throws IOException {
        Path folder = writeSharded(dir.resolve("s"));
        Files.delete(folder.resolve(INDEX));
        assertFormatError(folder, () -> ShardedCheckpoint.open(folder), "several *.safetensors files",
                "'" + SHARD1 + "'", "'" + SHARD2 + "'", "no *.safetensors.index.json");
    }

    @Test
    void standardWeightNameWinsOverOtherSafetensorsFiles() throws IOException {
        Path folder = Files.createDirectories(dir.resolve("std"));
        new SafetensorsWriter().putFloats("w", new long[] {1}, new float[] {1})
                .write(folder.resolve("diffusion_pytorch_model.safetensors"));
        new SafetensorsWriter().putFloats("g", new long[] {1}, new float[] {2})
                .write(folder.resolve("golden.safetensors"));
        try (ShardedCheckpoint c = ShardedCheckpoint.open(folder)) {
            assertEquals(Set.of("w"), c.names());
        }
        Path te = Files.createDirectories(dir.resolve("text_encoder"));
        new SafetensorsWriter().putFloats("m", new long[] {1}, new float[] {1}).write(te.resolve("model.safetensors"));
        new SafetensorsWriter().putFloats("g", new long[] {1}, new float[] {2}).write(te.resolve("vision.safetensors"));
        try (ShardedCheckpoint c = ShardedCheckpoint.open(te)) {
            assertEquals(Set.of("m"), c.names());
        }
    }

    @Test
    void folderProblems() throws IOException {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        assertFormatError(empty, () -> ShardedCheckpoint.open(empty), "no *.safetensors file");
        Path two = writeSharded(dir.resolve("two"));
        Files.copy(two.resolve(INDEX), two.resolve("other.safetensors.index.json"));
        assertFormatError(two, () -> ShardedCheckpoint.open(two), "several index files");
    }

    @Test
    void malformedIndex() throws IOException {
        Path folder = writeSharded(dir.resolve("bad"));
        Path index = folder.resolve(INDEX);
        Files.writeString(index, "{\"weight_map\": {\"a\": \"x\", \"a\": \"y\"}}");
        assertFormatError(index, () -> ShardedCheckpoint.open(index), "tensor 'a'", "duplicate key 'a'");
        Files.writeString(index, "{\"metadata\": {}}");
        assertFormatError(index, () -> ShardedCheckpoint.open(index), "\"weight_map\" is missing");
        Files.writeString(index, "{\"weight_map\": {\"a\": 3}}");
        assertFormatError(index, () -> ShardedCheckpoint.open(index), "tensor 'a'", "shard file name is a number");
        Files.writeString(index, "not json");
        assertFormatError(index, () -> ShardedCheckpoint.open(index), "index is not valid JSON");
    }

    @Test
    void corruptShardNamesTheShard() throws IOException {
        Path folder = writeSharded(dir.resolve("c"));
        Path shard = folder.resolve(SHARD2);
        byte[] bytes = Files.readAllBytes(shard);
        Files.write(shard, java.util.Arrays.copyOf(bytes, bytes.length - 3));
        assertFormatError(shard, () -> ShardedCheckpoint.open(folder), "tensor 'steps'", "file is truncated");
    }
}
