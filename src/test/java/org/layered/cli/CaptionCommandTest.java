package org.layered.cli;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layered.export.PngLayerWriter;
import org.layered.image.RgbaImage;
import org.layered.weights.safetensors.SafetensorsFile;
import org.layered.weights.safetensors.SafetensorsWriter;
import org.layered.weights.safetensors.TensorInfo;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code layered caption} end to end on a pipeline folder whose text encoder is the tiny random Qwen2.5-VL with its
 * embedding and lm_head rows spread over the real 151,665-id vocabulary (row r = tiny row of the golden id map),
 * so that the real tokenizer, processor config and generation config apply unchanged.
 */
class CaptionCommandTest {
    private static final Path GOLDEN = Path.of("src/test/resources/golden");
    private static final int VOCAB = 151665;

    @TempDir
    static Path dir;

    static long tinyId(long real) {
        return real >= 151643 && real <= 151664 ? real - 151643 + 490 : real % 490;
    }

    @BeforeAll
    static void buildModelFolder() throws IOException {
        Path te = Files.createDirectories(dir.resolve("model/text_encoder"));
        Path golden = GOLDEN.resolve("text_encoder");
        Gson gson = new Gson();
        JsonObject cfg = JsonParser.parseString(Files.readString(golden.resolve("config.json"))).getAsJsonObject();
        cfg.getAsJsonObject("text_config").addProperty("vocab_size", VOCAB);
        cfg.addProperty("image_token_id", 151655);
        cfg.addProperty("video_token_id", 151656);
        cfg.addProperty("vision_start_token_id", 151652);
        cfg.addProperty("vision_end_token_id", 151653);
        cfg.addProperty("eos_token_id", 151645);
        Files.writeString(te.resolve("config.json"), gson.toJson(cfg));
        JsonObject gen = JsonParser.parseString(Files.readString(golden.resolve("generation_config.json")))
                .getAsJsonObject();
        JsonArray eos = new JsonArray();
        eos.add(151645);
        eos.add(151643);
        gen.add("eos_token_id", eos);
        gen.addProperty("pad_token_id", 151643);
        gen.addProperty("bos_token_id", 151643);
        Files.writeString(te.resolve("generation_config.json"), gson.toJson(gen));

        SafetensorsWriter w = new SafetensorsWriter();
        try (SafetensorsFile f = SafetensorsFile.open(golden.resolve("model.safetensors"))) {
            for (TensorInfo t : f.tensors()) {
                byte[] raw = bytes(f.data(t.name()));
                if (t.name().equals("model.embed_tokens.weight") || t.name().equals("lm_head.weight")) {
                    int row = (int) (t.shape()[1] * t.dtype().bytes());
                    byte[] big = new byte[VOCAB * row];
                    for (int r = 0; r < VOCAB; r++) {
                        System.arraycopy(raw, (int) tinyId(r) * row, big, r * row, row);
                    }
                    w.putBytes(t.name(), t.dtype(), new long[] {VOCAB, t.shape()[1]}, big);
                } else {
                    w.putBytes(t.name(), t.dtype(), t.shape(), raw);
                }
            }
        }
        w.write(te.resolve("model.safetensors"));

        Path tok = Files.createDirectories(dir.resolve("model/tokenizer"));
        try (var s = Files.list(GOLDEN.resolve("tokenizer"))) {
            for (Path p : s.toList()) {
                if (Files.isRegularFile(p)) {
                    Files.copy(p, tok.resolve(p.getFileName()));
                }
            }
        }
        org.layered.testing.TinyModel.writeModelIndex(dir.resolve("model"));
        Path proc = Files.createDirectories(dir.resolve("model/processor"));
        Files.copy(golden.resolve("processor/preprocessor_config.json"), proc.resolve("preprocessor_config.json"));

        // a 200x160 RGBA test picture
        byte[] px = new byte[200 * 160 * 4];
        for (int y = 0; y < 160; y++) {
            for (int x = 0; x < 200; x++) {
                int i = (y * 200 + x) * 4;
                px[i] = (byte) (x + y);
                px[i + 1] = (byte) (3 * x);
                px[i + 2] = (byte) (255 - y);
                px[i + 3] = (byte) 255;
            }
        }
        PngLayerWriter.write(new RgbaImage(200, 160, px), dir.resolve("in.png"));
    }

    private static byte[] bytes(List<ByteBuffer> chunks) {
        int n = chunks.stream().mapToInt(ByteBuffer::remaining).sum();
        byte[] out = new byte[n];
        int o = 0;
        for (ByteBuffer b : chunks) {
            ByteBuffer d = b.duplicate();
            int len = d.remaining();
            d.get(out, o, len);
            o += len;
        }
        return out;
    }

    @Test
    void helpAndUsageErrors() {
        assertTrue(CliRun.of("--help").out().contains("caption"));
        assertTrue(CliRun.of("caption", "--help").out().contains("--max-new-tokens N"));
        assertEquals(2, CliRun.of("caption", "--image", "x.png").code());
        CliRun bad = CliRun.of("caption", "--model", dir.resolve("model").toString(), "--image",
                dir.resolve("in.png").toString(), "--chinese", "yes");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--chinese"), bad.err());
        CliRun missing = CliRun.of("caption", "--model", dir.resolve("nope").toString(), "--image",
                dir.resolve("in.png").toString(), "--device", "cpu");
        assertEquals(1, missing.code());
        assertTrue(missing.err().startsWith("layered caption: "), missing.err());
    }

    @Test
    void printsTheCaption() {
        CliRun r = CliRun.of("caption", "--model", dir.resolve("model").toString(), "--image",
                dir.resolve("in.png").toString(), "--max-new-tokens", "8", "--device", "cpu", "--chinese", "true");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("[layered] generate caption"), r.err());
        assertTrue(r.err().contains("resized to 704x576"), r.err());
        assertEquals(1, r.out().lines().count(), r.out());
        System.out.println("caption CLI (tiny model spread over the real vocabulary): " + r.out().strip());
    }
}
