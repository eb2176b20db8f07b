package org.layered.cli;

import org.layered.testing.TinyModel;
import org.layered.weights.safetensors.SafetensorsWriter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** A tiny model and prompt embeddings for command-line runs, built once per test JVM (deleted at exit). */
final class CliFixtures {
    private static Path root;

    private CliFixtures() {}

    static synchronized Path root() {
        if (root == null) {
            try {
                root = Files.createTempDirectory("layered-cli-test");
                TinyModel.build(root.resolve("model"), 11);
                float[] pos = new float[4 * TinyModel.TEXT_DIM];
                Random r = new Random(3);
                for (int i = 0; i < pos.length; i++) {
                    pos[i] = (float) r.nextGaussian();
                }
                new SafetensorsWriter().putFloats("prompt_embeds", new long[] {1, 4, TinyModel.TEXT_DIM}, pos)
                        .write(root.resolve("embeds.safetensors"));
                Path r0 = root;
                Runtime.getRuntime().addShutdownHook(new Thread(() -> org.layered.fiji.FijiFixtures.deleteTree(r0)));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return root;
    }

    /**
     * {@code decompose} arguments for a cheap run (one step unless {@code more} gives {@code --steps}, no CFG, given
     * embeddings, CPU) plus {@code more}.
     */
    static String[] decompose(Path image, Path out, String... more) {
        List<String> a = new ArrayList<>(List.of("decompose", "--model", root().resolve("model").toString(), "--image",
                image.toString(), "--out", out.toString(), "--cfg", "1", "--inputs",
                root().resolve("embeds.safetensors").toString(), "--device", "cpu"));
        if (!List.of(more).contains("--steps")) {
            a.addAll(List.of("--steps", "1"));
        }
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }
}
