package org.layered.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Runs a test-tree main class in a child JVM (the test JVM's java, {@code layered.test.javaHome}, and class path), so
 * that a native abort fails a test instead of killing the test run. The child runs in the project folder (test
 * resources resolve as in the tests) with a folder of its own as temporary folder, where a JVM crash would also leave
 * its {@code hs_err_pid*.log}. It never inherits {@code PYTORCH_LIBRARY_PATH}, {@code PYTORCH_VERSION},
 * {@code PYTORCH_FLAVOR} or {@code LAYERED_HOME}: it loads the engine its options set up.
 */
public final class ChildJvm {
    /** What the child did: exit status, everything it printed (stdout and stderr), and whether it left a crash log. */
    public record Result(int exit, String output, boolean crashLog) {
        /** The lines starting with {@code prefix}, without it. */
        public List<String> lines(String prefix) {
            return output.lines().filter(l -> l.startsWith(prefix)).map(l -> l.substring(prefix.length())).toList();
        }

        /** Whether the JVM died of a signal (e.g. SIGBUS, SIGABRT: exit 128 + n) or left a crash log. */
        public boolean aborted() {
            return exit > 128 || crashLog;
        }

        /** Asserts that the child neither aborted nor failed, and printed {@code marker} (its last line). */
        public void assertCompleted(String marker) {
            assertFalse(aborted(), "the child JVM aborted (exit " + exit + "):\n" + output);
            assertEquals(0, exit, output);
            assertTrue(output.contains(marker), output);
        }

        /** The one line starting with {@code prefix}, without it. */
        public String single(String prefix) {
            List<String> found = lines(prefix);
            assertEquals(1, found.size(), "not one line '" + prefix + "':\n" + output);
            return found.get(0);
        }
    }

    private ChildJvm() {}

    /** Runs {@code main} with {@code args} and {@code workDir} as temp folder; fails after {@code timeoutSeconds}. */
    public static Result run(Path workDir, Class<?> main, int timeoutSeconds, String... args)
            throws IOException, InterruptedException {
        return run(workDir, List.of(), main, timeoutSeconds, args);
    }

    /** The same with more JVM options ({@code -Dkey=value}). */
    public static Result run(Path workDir, List<String> jvmOptions, Class<?> main, int timeoutSeconds, String... args)
            throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("layered.test.javaHome", System.getProperty("java.home")), "bin",
                "java").toString();
        Files.createDirectories(workDir);
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx1g", "-Dai.djl.offline=true",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-Djava.io.tmpdir=" + workDir,
                "-XX:ErrorFile=" + workDir.resolve("hs_err_pid%p.log")));
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        cmd.addAll(List.of(args));
        Path log = Files.createTempFile(workDir, "child", ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        for (String v : List.of("PYTORCH_LIBRARY_PATH", "PYTORCH_VERSION", "PYTORCH_FLAVOR", "LAYERED_HOME")) {
            pb.environment().remove(v);
        }
        // DJL reads its settings (DJL_CACHE_DIR, ENGINE_CACHE_DIR, ...) from the environment before system properties:
        // an option given here must not be overridden by the parent's environment (CI exports DJL_CACHE_DIR)
        for (String o : jvmOptions) {
            int eq = o.indexOf('=');
            if (o.startsWith("-D") && eq > 2) {
                pb.environment().remove(o.substring(2, eq));
            }
        }
        Process p = pb.start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            fail(main.getSimpleName() + " did not finish within " + timeoutSeconds + " s:\n"
                    + Files.readString(log, StandardCharsets.UTF_8));
        }
        boolean crash;
        try (Stream<Path> s = Files.list(workDir)) {
            crash = s.anyMatch(f -> f.getFileName().toString().startsWith("hs_err_pid"));
        }
        return new Result(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8), crash);
    }
}
