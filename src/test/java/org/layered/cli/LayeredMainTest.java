package org.layered.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layered.testing.TinyModel;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class LayeredMainTest {
    private static final Path GOLDEN = Path.of("src/test/resources/golden");

    @Test
    void helpListsCommands() {
        CliRun r = CliRun.of("--help");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("info"));
        assertTrue(r.out().contains("bench"));
        assertTrue(CliRun.of("info", "--help").out().contains("--model DIR"));
    }

    @Test
    void infoPrintsTheTensorTableOfAComponentFolder() {
        CliRun r = CliRun.of("info", "--model", GOLDEN.resolve("vae").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("194 tensors"), r.out());
        assertTrue(r.out().contains("AutoencoderKLQwenImage"), r.out());
        assertTrue(r.out().matches("(?s).*decoder\\.conv_in\\.weight\\s+BF16\\s+\\[32, 16, 3, 3, 3\\]\\s+27648.*"),
                r.out());
        assertTrue(r.out().contains("all files valid"));
    }

    @Test
    void infoOnAPipelineFolderListsEachComponent(@TempDir Path dir) throws Exception {
        TinyModel.golden(dir);
        CliRun r = CliRun.of("info", "--model", dir.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("(QwenImageLayeredPipeline)"));
        assertTrue(r.out().contains("component text_encoder [transformers Qwen2_5_VLForConditionalGeneration]: "
                + "not present"), r.out());
        assertTrue(r.out().contains("component vae: 1 file(s), 194 tensors"), r.out());
        assertTrue(r.out().contains("component transformer: 1 file(s)"), r.out());
        assertTrue(r.out().contains("in 3 component(s); all files valid"), r.out());
    }

    @Test
    void truncatedFileFailsWithOneLineNamingTheFile(@TempDir Path dir) throws Exception {
        byte[] full = Files.readAllBytes(GOLDEN.resolve("vae/diffusion_pytorch_model.safetensors"));
        Path bad = dir.resolve("diffusion_pytorch_model.safetensors");
        Files.write(bad, java.util.Arrays.copyOf(full, full.length - 1000));
        CliRun r = CliRun.of("info", "--model", dir.toString());
        assertEquals(1, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains(bad.toString()), r.err());
        assertTrue(r.err().contains("truncated"), r.err());
    }

    @Test
    void usageErrorsExitWithTwo() {
        assertEquals(2, CliRun.of("frobnicate").code());
        assertEquals(2, CliRun.of("info").code());
        CliRun r = CliRun.of("info", "--modle", "x");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("unknown option --modle"));
        assertEquals(1, CliRun.of("info", "--model", "/nonexistent/model").code());
    }
}
