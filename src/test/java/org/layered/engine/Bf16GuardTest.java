package org.layered.engine;

import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every facade op on bf16, in a child JVM so that a native abort fails this test instead of killing the run. */
class Bf16GuardTest {
    @Test
    void everyFacadeOpSurvivesBf16() throws Exception {
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(List.of(java, "-Dai.djl.offline=true", "-cp",
                System.getProperty("java.class.path"), Bf16GuardProbe.class.getName()));
        pb.redirectErrorStream(true);
        pb.redirectOutput(File.createTempFile("bf16-guard", ".log"));
        Process p = pb.start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child JVM timed out");
        String out = Files.readString(pb.redirectOutput().file().toPath(), StandardCharsets.UTF_8);
        String last = out.lines().filter(l -> l.startsWith("op ")).reduce((a, b) -> b).orElse("(none)");
        assertEquals(0, p.exitValue(), "child JVM died (exit " + p.exitValue() + ") at " + last + ":\n" + out);
        assertTrue(out.contains("BF16-GUARD-OK"), out);
    }
}
