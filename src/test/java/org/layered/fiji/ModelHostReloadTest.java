package org.layered.fiji;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layered.testing.ChildJvm;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The model kept loaded between runs is reloaded when a file changed, with one log line naming it: a same-size
 * overwrite is computed with the new weights, a truncated file fails the reload with a message naming it. In a child
 * JVM ({@link ModelHostReloadProbe}) because the shared host is process-wide and a regression could abort.
 */
class ModelHostReloadTest {
    @TempDir
    Path dir;

    @Test
    void changedFilesReloadTheModelWithOneLogLine() throws Exception {
        ChildJvm.Result r = ChildJvm.run(dir, ModelHostReloadProbe.class, 240);
        r.assertCompleted("PROBE-DONE");
        String file = "transformer/diffusion_pytorch_model.safetensors";

        String run1 = r.single("RUN1 ");
        String run2 = r.single("RUN2 ");
        assertTrue(run1.startsWith("layers "), r.output());
        assertNotEquals(run1, run2, "the overwritten weights must be used");
        assertEquals(r.single("FRESH "), run2, "the reloaded model computes what a fresh one does");

        List<String> notes = r.lines("NOTE ");
        assertEquals(2, notes.size(), "one log line per reload:\n" + r.output());
        assertTrue(notes.get(0).startsWith("model file " + file + " was rewritten (same size"), notes.get(0));
        assertTrue(notes.get(0).endsWith("; reloading it"), notes.get(0));
        assertTrue(notes.get(1).startsWith("model file " + file + " was rewritten (size"), notes.get(1));

        String run3 = r.single("RUN3 ");
        assertTrue(run3.contains(file) && run3.contains("truncated"), run3);
    }
}
