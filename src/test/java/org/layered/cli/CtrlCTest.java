package org.layered.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layered.export.PngLayerWriter;
import org.layered.testing.TinyModel;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** Ctrl-C (SIGINT) in a child JVM: the first stops after the current step and writes nothing; a second quits. */
class CtrlCTest {
    @TempDir
    Path dir;

    /** A child JVM with this test class path; its stdout and stderr lines are collected as they come. */
    private static final class Child implements AutoCloseable {
        final Process process;
        final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        final List<String> all = java.util.Collections.synchronizedList(new ArrayList<>());

        Child(String mainClass, String... args) throws IOException {
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                    .toString(), "-Xmx1g", "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"),
                    mainClass));
            cmd.addAll(List.of(args));
            process = new ProcessBuilder(cmd).start();
            pump(process.getInputStream());
            pump(process.getErrorStream());
        }

        private void pump(InputStream in) {
            Thread t = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                    for (String l = r.readLine(); l != null; l = r.readLine()) {
                        all.add(l);
                        lines.add(l);
                    }
                } catch (IOException ignored) {
                    // the child is gone
                }
            });
            t.setDaemon(true);
            t.start();
        }

        /** Waits for a line starting with {@code prefix}. */
        void await(String prefix, int seconds) throws InterruptedException {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (System.nanoTime() < end) {
                String l = lines.poll(200, TimeUnit.MILLISECONDS);
                if (l != null && l.startsWith(prefix)) {
                    return;
                }
                if (l == null && !process.isAlive()) {
                    break;
                }
            }
            fail("no line '" + prefix + "...' from the child: " + String.join("\n", all));
        }

        void interrupt() throws Exception {
            assertEquals(0, new ProcessBuilder("kill", "-INT", String.valueOf(process.pid())).start().waitFor());
        }

        int exit(int seconds) throws InterruptedException {
            assertTrue(process.waitFor(seconds, TimeUnit.SECONDS), "the child did not exit within " + seconds + " s: "
                    + String.join("\n", all));
            Thread.sleep(100); // let the pumps take the last lines
            return process.exitValue();
        }

        @Override
        public void close() {
            process.destroyForcibly();
        }
    }

    @Test
    void theFirstCtrlCStopsAfterTheStepAndWritesNothing() throws Exception {
        Path image = dir.resolve("in.png");
        PngLayerWriter.write(TinyModel.image(40, 30), image);
        Path out = dir.resolve("out");
        try (Child c = new Child(LayeredMain.class.getName(), CliFixtures.decompose(image, out, "--steps", "1000",
                "--layers", "1"))) {
            c.await("[layered] step 1/1000", 120);
            c.interrupt();
            assertEquals(130, c.exit(60), String.join("\n", c.all));
            assertTrue(c.all.contains("[layered] Ctrl-C: stopping after the current step (press it again to quit at "
                    + "once)"), String.join("\n", c.all));
            assertEquals("layered decompose: cancelled; nothing written", c.all.get(c.all.size() - 1));
            assertFalse(c.all.stream().anyMatch(l -> l.startsWith("[layered] step 3/")), "it stopped at the next "
                    + "step: " + String.join("\n", c.all));
        }
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of("in.png"), s.map(p -> p.getFileName().toString()).toList(),
                    "no output, staging folder or lock file");
        }
    }

    @Test
    void aSecondCtrlCQuitsAtOnceDuringAStepThatDoesNotStop() throws Exception {
        try (Child c = new Child(CtrlCProbe.class.getName())) {
            c.await("ready", 60);
            c.interrupt();
            c.await("cancel requested", 10);
            assertTrue(c.process.isAlive(), "the first Ctrl-C only asks");
            c.interrupt();
            assertEquals(130, c.exit(10));
            assertTrue(c.all.contains("layered probe: interrupted"), String.join("\n", c.all));
            assertFalse(c.all.contains("the step ended by itself"));
        }
    }
}
