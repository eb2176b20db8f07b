package org.layered.pipeline;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layered.testing.ChildJvm;
import org.layered.weights.ModelFilesChangedException;
import org.layered.weights.safetensors.SafetensorsFormatException;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A weight file truncated under a loaded model, during a streamed run or after loading, ends the run with an exception
 * naming the file, never a JVM abort; resident weights no longer depend on the file at all. In a child JVM
 * ({@link ModelFilesProbe}), where the old loader died of SIGBUS.
 */
class ModelFilesChangeTest {
    @TempDir
    Path dir;

    @Test
    void truncatedWeightFilesEndTheRunWithAMessageNamingTheFile() throws Exception {
        ChildJvm.Result r = ChildJvm.run(dir, ModelFilesProbe.class, 240);
        r.assertCompleted("PROBE-DONE");
        String file = "transformer/diffusion_pytorch_model.safetensors";

        String streamed = r.single("SCENARIO truncated-during-streamed-run: ");
        assertTrue(streamed.startsWith(SafetensorsFormatException.class.getName()), streamed);
        assertTrue(streamed.contains("streamed/" + file), streamed);
        assertTrue(streamed.contains("file ended at byte"), streamed);

        String between = r.single("SCENARIO truncated-after-loading: ");
        assertTrue(between.startsWith(ModelFilesChangedException.class.getName()), between);
        assertTrue(between.contains(file + " was rewritten (size"), between);
        assertTrue(between.contains("since the model was loaded"), between);

        assertEquals("forward ok, finite true", r.single("SCENARIO resident-forward-after-truncation: "));
    }
}
