package org.layered.pipeline;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layered.testing.ChildJvm;
import org.layered.weights.ModelFilesChangedException;
import org.layered.weights.safetensors.SafetensorsFormatException;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A weight file truncated under a loaded model, during a streamed run and between runs, ends the run with an exception
 * naming the file, never a JVM abort; resident weights no longer depend on the file at all. In a child JVM
 * ({@link ModelFilesProbe}), where the old loader died of SIGBUS.
 */
class ModelFilesChangeTest {
    @TempDir
    Path dir;

    @Test
    void truncatedWeightFilesEndTheRunWithAMessageNamingTheFile() throws Exception {
        ChildJvm.Result r = ChildJvm.run(dir, ModelFilesProbe.class, 240);
        assertFalse(r.aborted(), "the child JVM aborted (exit " + r.exit() + "):\n" + r.output());
        assertEquals(0, r.exit(), r.output());
        assertTrue(r.output().contains("PROBE-DONE"), r.output());
        String file = "transformer/diffusion_pytorch_model.safetensors";

        String streamed = scenario(r, "truncated-during-streamed-run");
        assertTrue(streamed.startsWith(SafetensorsFormatException.class.getName()), streamed);
        assertTrue(streamed.contains("streamed/" + file), streamed);
        assertTrue(streamed.contains("file ended at byte"), streamed);

        String between = scenario(r, "truncated-between-runs");
        assertTrue(between.startsWith(ModelFilesChangedException.class.getName()), between);
        assertTrue(between.contains(file + " was rewritten (size"), between);
        assertTrue(between.contains("since the model was loaded"), between);

        assertEquals("forward ok, finite true", scenario(r, "resident-forward-after-truncation"));
    }

    private static String scenario(ChildJvm.Result r, String name) {
        List<String> lines = r.lines("SCENARIO " + name + ": ");
        assertEquals(1, lines.size(), "no single outcome for " + name + ":\n" + r.output());
        return lines.get(0);
    }
}
