package org.layered.engine;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layered.testing.ChildJvm;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The released models' linear layers on oneDNN, in a child JVM so that a native abort fails this test only. */
class OneDnnLinearGuardTest {
    @TempDir
    Path dir;

    @Test
    void releasedLinearLayerShapesSurviveOneDnn() throws Exception {
        ChildJvm.Result c = ChildJvm.run(dir, List.of("-D" + LinearKernel.PROPERTY + "=onednn"),
                OneDnnLinearProbe.class, 300);
        String last = c.lines("op ").stream().reduce((a, b) -> b).orElse("(none)");
        assertEquals(0, c.exit(), "child JVM died (exit " + c.exit() + ") at op " + last + ":\n" + c.output());
        assertTrue(c.output().contains("ONEDNN-GUARD-OK"), c.output());
    }
}
