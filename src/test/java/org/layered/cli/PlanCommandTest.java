package org.layered.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layered.export.PngLayerWriter;
import org.layered.testing.TinyModel;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code layered plan}, and the memory flags of {@code decompose} ({@code DecomposeCommandTest} runs with them). */
class PlanCommandTest {
    @TempDir
    Path dir;

    @Test
    void plansTheReleasedModelForACardBeforeItIsDownloaded() {
        // host memory given: what the plan streams from host memory must not depend on this machine's free RAM
        CliRun r = CliRun.of("plan", "--vram-gib", "24", "--ram-gib", "64", "--weights", "fp8", "--resolution", "640",
                "--layers", "4");
        assertEquals(0, r.code(), r.err());
        String out = r.out();
        assertTrue(out.startsWith("model: Qwen/Qwen-Image-Layered (not downloaded: the released configs its "
                + "descriptor records)"), out);
        assertTrue(out.contains("device: a 24 GiB GPU (not this machine's)"), out);
        for (String stage : new String[] {"caption", "prompt encoding", "VAE encode", "denoising", "VAE decode"}) {
            assertTrue(out.contains("\n" + stage + " "), stage + ":\n" + out);
        }
        assertTrue(out.contains("transformer: device-resident (20.46 GB fp8)"), out);
        assertTrue(out.contains("the text encoder is released after prompt encoding"), out);
        assertTrue(out.strip().endsWith("verdict: fits"), out);

        CliRun bf16 = CliRun.of("plan", "--vram-gib", "24", "--ram-gib", "64");
        assertEquals(0, bf16.code(), bf16.err());
        assertTrue(bf16.out().contains("groups streamed one by one from pinned host memory"), bf16.out());
        assertTrue(bf16.out().strip().lines().reduce((a, b) -> b).orElseThrow()
                .startsWith("verdict: fits with streaming (transformer: "), bf16.out());

        CliRun tiny = CliRun.of("plan", "--vram-gib", "3", "--ram-gib", "64", "--resolution", "1024",
                "--layers", "10");
        assertEquals(0, tiny.code(), tiny.err());
        assertTrue(tiny.out().contains("verdict: does not fit (") && tiny.out().contains("the nearest setting that "
                + "does: --weights fp8"), tiny.out());
    }

    @Test
    void plansAModelFolderOnTheCpu() throws Exception {
        Path model = TinyModel.build(dir.resolve("model"), 2);
        CliRun r = CliRun.of("plan", "--model", model.toString(), "--device", "cpu", "--ram-gib", "4");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("model: " + model), r.out());
        assertTrue(r.out().contains("device: cpu; host: 4.29 GB available"), r.out());
        assertFalse(r.out().contains("caption"), "a model without text encoder has no caption stage:\n" + r.out());
        assertTrue(r.out().strip().endsWith("verdict: fits"), r.out());
        assertTrue(r.out().contains(", compute f32"), r.out());
        CliRun bf16 = CliRun.of("plan", "--model", model.toString(), "--device", "cpu", "--ram-gib", "4",
                "--precision", "bf16");
        assertEquals(0, bf16.code(), bf16.err());
        assertTrue(bf16.out().contains(", compute bf16"), "planned as decompose --precision bf16 runs:\n"
                + bf16.out());
        CliRun bad = CliRun.of("plan", "--model", model.toString(), "--precision", "half");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--precision: unknown precision 'half'"), bad.err());
    }

    @Test
    void badValuesAreUsageErrors() {
        String[][] lines = {{"plan", "--weights", "fp16"}, {"plan", "--vram-gib", "-3"}, {"plan", "--vram-gib", "x"},
            {"plan", "--device", "cpu", "--vram-gib", "24"}, {"plan", "--resolution", "800"},
            {"plan", "--model", "nobody/nothing"}};
        String[] expected = {"weights must be bf16 or fp8, got 'fp16'", "--vram-gib must be a positive number of GiB",
            "--vram-gib must be a positive number of GiB", "--vram-gib plans a GPU", "resolution must be 640 or 1024, got 800",
            "no descriptor in models/ records its configs"};
        for (int i = 0; i < lines.length; i++) {
            CliRun r = CliRun.of(lines[i]);
            assertEquals(2, r.code(), String.join(" ", lines[i]) + ": " + r.err());
            assertTrue(r.err().contains(expected[i]) && r.err().lines().count() == 1, r.err());
        }
    }

    @Test
    void decomposeRefusesBadMemoryFlagsBeforeAnythingRuns() throws Exception {
        Path image = dir.resolve("in.png");
        PngLayerWriter.write(TinyModel.image(64, 48), image);
        for (String[] bad : new String[][] {{"--memory", "sometimes"}, {"--weights", "int4"}, {"--vram-gib", "0"}}) {
            CliRun u = CliRun.of(CliFixtures.decompose(image, dir.resolve("never"), bad));
            assertEquals(2, u.code(), u.err());
            assertTrue(u.err().lines().count() == 1, u.err());
            assertFalse(Files.exists(dir.resolve("never")));
        }
    }
}
