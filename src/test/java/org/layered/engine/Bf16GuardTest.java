package org.layered.engine;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layered.testing.ChildJvm;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every facade op on bf16, in a child JVM so that a native abort fails this test instead of killing the run. */
class Bf16GuardTest {
    @TempDir
    Path dir;

    private static String lastOp(ChildJvm.Result c) {
        return c.lines("op ").stream().reduce((a, b) -> b).map(op -> "op " + op).orElse("(none)");
    }

    @Test
    void everyFacadeOpSurvivesBf16() throws Exception {
        ChildJvm.Result c = ChildJvm.run(dir, Bf16GuardProbe.class, 120);
        assertEquals(0, c.exit(), "child JVM died (exit " + c.exit() + ") at " + lastOp(c) + ":\n" + c.output());
        assertTrue(c.output().contains("BF16-GUARD-OK"), c.output());
    }

    /** Control: the harness does see an abort, so the test above can fail. */
    @Test
    void rawDjlBf16RequestAbortsTheChildAndIsReported() throws Exception {
        ChildJvm.Result c = ChildJvm.run(dir, Bf16GuardProbe.class, 120, "raw-djl-control");
        assertNotEquals(0, c.exit(), "expected DJL 0.36 to abort on a bf16 dtype request:\n" + c.output());
        assertTrue(c.aborted(), "exit " + c.exit() + ":\n" + c.output());
        assertFalse(c.output().contains("BF16-GUARD-OK"));
        assertEquals("op raw DJL toType(BFLOAT16)", lastOp(c));
    }
}
