package org.layered.model.text;

import org.layered.testing.Goldens;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import org.layered.weights.safetensors.SafetensorsFile;
import org.layered.weights.safetensors.TensorInfo;
import org.layered.weights.safetensors.TensorValues;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** The text-encoder and tokenizer golden folders from the test resources, and a shared real-vocabulary tokenizer. */
final class TextGolden {
    /** README tolerance for hidden states and prompt embeddings (float32 CPU). */
    static final double TOL = 1e-5;

    private static QwenTokenizer realTokenizer;
    private static Map<String, Tensor> forward;
    private static JsonObject tokenizerGolden;

    private TextGolden() {
    }

    static Path textEncoderDir() {
        return resource("/golden/text_encoder/config.json").getParent();
    }

    static Path tokenizerDir() {
        return resource("/golden/tokenizer/vocab.json").getParent();
    }

    private static Path resource(String name) {
        URL u = TextGolden.class.getResource(name);
        if (u == null) {
            throw new IllegalStateException("test resource " + name + " is missing");
        }
        try {
            return Path.of(u.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The real Qwen2.5-VL tokenizer built from vocab.json + merges.txt (once per JVM: it takes a few seconds). */
    static synchronized QwenTokenizer realTokenizer() {
        if (realTokenizer == null) {
            try {
                realTokenizer = QwenTokenizer.load(tokenizerDir());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return realTokenizer;
    }

    static synchronized JsonObject tokenizerGolden() {
        if (tokenizerGolden == null) {
            try {
                tokenizerGolden = JsonParser.parseString(Files.readString(
                        textEncoderDir().resolve("tokenizer_golden.json"), StandardCharsets.UTF_8)).getAsJsonObject();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return tokenizerGolden;
    }

    /** A golden tensor: shape, values as floats and (for integer tensors) as longs. */
    record Tensor(long[] shape, float[] values, long[] longs) {
    }

    static synchronized Tensor forward(String name) {
        if (forward == null) {
            Map<String, Tensor> m = new HashMap<>();
            try (SafetensorsFile f = SafetensorsFile.open(textEncoderDir().resolve("text_forward.safetensors"))) {
                for (TensorInfo t : f.tensors()) {
                    long[] longs = t.dtype().isFloating() ? null : TensorValues.toLongs(t, f.data(t.name()));
                    m.put(t.name(), new Tensor(t.shape(), TensorValues.toFloats(t, f.data(t.name())), longs));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            forward = m;
        }
        Tensor t = forward.get(name);
        if (t == null) {
            throw new IllegalArgumentException("no golden tensor " + name);
        }
        return t;
    }

    /** Rows of a (B, L) integer golden tensor. */
    static long[][] longRows(String name) {
        Tensor t = forward(name);
        int b = (int) t.shape()[0];
        int l = (int) t.shape()[1];
        long[][] out = new long[b][l];
        for (int i = 0; i < b; i++) {
            System.arraycopy(t.longs(), i * l, out[i], 0, l);
        }
        return out;
    }

    static double maxAbsDiff(float[] a, float[] b) {
        return Goldens.maxAbsDiff(a, b);
    }

    /** The golden tiny-model id map: real special ids 151643..151664 -> 490..511, others r -> r % 490. */
    static long tinyId(long real) {
        if (real >= 151643 && real <= 151664) {
            return real - 151643 + 490;
        }
        return real % 490;
    }
}
