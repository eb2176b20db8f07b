package org.layered.engine;

import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every facade op on bf16, in a child JVM so that a native abort fails this test instead of killing the run. */
class Bf16GuardTest {
    private record Child(int exit, String output, String lastOp) {}

    private static Child probe(String... args) throws Exception {
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new java.util.ArrayList<>(List.of(java, "-Dai.djl.offline=true", "-cp",
                System.getProperty("java.class.path"), Bf16GuardProbe.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.redirectErrorStream(true);
        File log = File.createTempFile("bf16-guard", ".log");
        log.deleteOnExit();
        pb.redirectOutput(log);
        Process p = pb.start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child JVM timed out");
        String out = Files.readString(log.toPath(), StandardCharsets.UTF_8);
        String last = out.lines().filter(l -> l.startsWith("op ")).reduce((a, b) -> b).orElse("(none)");
        return new Child(p.exitValue(), out, last);
    }

    @Test
    void everyFacadeOpSurvivesBf16() throws Exception {
        Child c = probe();
        assertEquals(0, c.exit(), "child JVM died (exit " + c.exit() + ") at " + c.lastOp() + ":\n" + c.output());
        assertTrue(c.output().contains("BF16-GUARD-OK"), c.output());
    }

    /** Control: the harness does see an abort, so the test above can fail. */
    @Test
    void rawDjlBf16RequestAbortsTheChildAndIsReported() throws Exception {
        Child c = probe("raw-djl-control");
        assertNotEquals(0, c.exit(), "expected DJL 0.36 to abort on a bf16 dtype request:\n" + c.output());
        assertFalse(c.output().contains("BF16-GUARD-OK"));
        assertEquals("op raw DJL toType(BFLOAT16)", c.lastOp());
    }
}
