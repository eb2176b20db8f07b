package org.layered.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layered.engine.ComputeDevice;
import org.layered.engine.Precision;
import org.layered.pipeline.DecomposePipeline;
import org.layered.testing.TinyModel;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code layered info} runs the checks loading runs: every model folder loading rejects, {@code info} rejects with
 * the same one-line message (exit 1), and a model {@code info} passes loads. Broken folders are generated from one
 * tiny model; none of these checks needs the engine.
 */
class InfoCommandTest {
    /** An internal record's toString, e.g. TransformerConfig[layers=...] or ShardedCheckpoint[...]. */
    private static final Pattern RECORD_DUMP = Pattern.compile("\\b[A-Z][A-Za-z0-9]*(Config|Checkpoint|File)\\[");

    @TempDir
    static Path dir;
    static Path model;

    @BeforeAll
    static void buildModel() throws IOException {
        model = TinyModel.build(dir.resolve("tiny"), 3);
    }

    private static Path variant(String name) throws IOException {
        Path to = dir.resolve(name);
        try (Stream<Path> s = Files.walk(model)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Path t = to.resolve(model.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t);
                }
            }
        }
        return to;
    }

    private static void edit(Path file, String from, String to) throws IOException {
        String s = Files.readString(file);
        assertTrue(s.contains(from), file + " has no " + from);
        Files.writeString(file, s.replace(from, to));
    }

    private static void deleteTree(Path p) throws IOException {
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(q);
            }
        }
    }

    @Test
    void aSoundModelPassesAndAbsentOptionalComponentsAreNotes() {
        CliRun r = CliRun.of("info", "--model", model.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("model: " + model + " (QwenImageLayeredPipeline)"), r.out());
        assertTrue(r.out().contains("component text_encoder [transformers Qwen2_5_VLForConditionalGeneration]: not "
                + "present (there is no folder " + model.resolve("text_encoder") + "); needed for prompts and "
                + "captions"), r.out());
        assertTrue(r.out().contains("in 3 component(s); all files valid"), r.out());
    }

    @Test
    void infoRejectsWhatLoadingRejectsWithTheSameMessage() throws Exception {
        Map<String, String> expected = new LinkedHashMap<>(); // variant -> fragment of the message
        Path noIndex = variant("no-index");
        Files.delete(noIndex.resolve("model_index.json"));
        expected.put("no-index", "no model_index.json");

        Path wrongType = variant("wrong-type");
        edit(wrongType.resolve("model_index.json"), "\"vae\": [\"diffusers\", \"AutoencoderKLQwenImage\"]",
                "\"vae\": \"diffusers\"");
        expected.put("wrong-type", "'vae' must be [library, class]");

        Path other = variant("other-pipeline");
        edit(other.resolve("model_index.json"), "QwenImageLayeredPipeline", "QwenImagePipeline");
        expected.put("other-pipeline", "the pipeline is 'QwenImagePipeline'");

        Path noScheduler = variant("no-scheduler");
        deleteTree(noScheduler.resolve("scheduler"));
        expected.put("no-scheduler", "component 'scheduler' is missing");

        Path layers = variant("transformer-layers");
        edit(layers.resolve("transformer/config.json"), "\"num_layers\": 2", "\"num_layers\": 3");
        expected.put("transformer-layers", "transformer weights in " + TinyModel.weights(layers, "transformer")
                + " do not match its config.json (num_layers=3");

        Path vae = variant("vae-config");
        edit(vae.resolve("vae/config.json"), "\"base_dim\": 8", "\"base_dim\": 16");
        expected.put("vae-config", "VAE weights in " + TinyModel.weights(vae, "vae") + " do not match its "
                + "config.json (base_dim=16");

        Path truncated = variant("truncated");
        try (FileChannel ch = FileChannel.open(TinyModel.weights(truncated, "transformer"),
                StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() - 100);
        }
        expected.put("truncated", TinyModel.weights(truncated, "transformer") + ": tensor ");

        for (Map.Entry<String, String> e : expected.entrySet()) {
            Path m = dir.resolve(e.getKey());
            IOException loading = assertThrows(IOException.class,
                    () -> DecomposePipeline.open(m, ComputeDevice.CPU, Precision.FLOAT32, null), e.getKey());
            CliRun r = CliRun.of("info", "--model", m.toString());
            assertEquals(1, r.code(), e.getKey() + ": " + r.out());
            assertEquals("layered info: " + loading.getMessage(), r.err().strip(), e.getKey());
            assertTrue(loading.getMessage().contains(e.getValue()), e.getKey() + ": " + loading.getMessage());
            assertFalse(RECORD_DUMP.matcher(loading.getMessage()).find(), loading.getMessage());
        }
    }

    @Test
    void aMissingTokenizerAloneIsNamedAsSuch() throws Exception {
        Path m = variant("no-tokenizer");
        Path te = Files.createDirectories(m.resolve("text_encoder"));
        Files.copy(TinyModel.GOLDEN.resolve("text_encoder/config.json"), te.resolve("config.json"));
        Files.copy(TinyModel.GOLDEN.resolve("text_encoder/model.safetensors"), te.resolve("model.safetensors"));
        CliRun info = CliRun.of("info", "--model", m.toString());
        assertEquals(0, info.code(), info.err());
        assertTrue(info.out().contains("component tokenizer [transformers Qwen2Tokenizer]: not present"), info.out());

        Path image = dir.resolve("in.png");
        org.layered.export.PngLayerWriter.write(TinyModel.image(32, 32), image);
        CliRun r = CliRun.of("decompose", "--model", m.toString(), "--image", image.toString(), "--out",
                dir.resolve("out").toString(), "--prompt", "a cat", "--steps", "1", "--layers", "1");
        assertEquals(1, r.code(), r.err());
        String error = r.err().lines().filter(l -> !l.startsWith("[layered]")).reduce((a, b) -> b).orElseThrow();
        assertEquals("layered decompose: " + m + ": the model has no complete text encoder (tokenizer/ is missing, "
                + "text_encoder/ is there) to encode the prompt; give prompt embeddings with --inputs, or download "
                + "the full model", error);
    }

    @Test
    void aBrokenOptionalComponentFailsInfoAndIsNamedWhenARunNeedsIt() throws Exception {
        Path m = variant("broken-tokenizer");
        Path tok = Files.createDirectories(m.resolve("tokenizer"));
        Files.writeString(tok.resolve("tokenizer.json"), "{\"model\": ");
        CliRun r = CliRun.of("info", "--model", m.toString());
        assertEquals(1, r.code());
        assertTrue(r.out().contains("  problem: " + tok.resolve("tokenizer.json") + ": invalid JSON"), r.out());
        assertTrue(r.err().startsWith("layered info: " + tok.resolve("tokenizer.json") + ": invalid JSON"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }
}
