package org.layered.fiji.ij1;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layered.export.OutputFolder;
import org.layered.fiji.FijiFixtures;
import org.layered.testing.LocalSlurm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The cluster example of {@code cluster/} on a real SLURM ({@link LocalSlurm}: Debian's slurm-wlm and munge on
 * loopback): {@code submit.sh} sends a 4-task job array, 1-based ({@code --array=1-4}), one fake GPU per task, over a
 * folder of 10 small images, and the summary job after it. Each task runs plain ImageJ 1.x with the plugin (as
 * {@link Ij1XvfbTest} does, on one virtual display started here) through a launcher script, as a site would point
 * {@code LAYERED_LAUNCHER} at Fiji. The task of shard 0 is requeued with {@code scontrol requeue} (what preemption
 * does) after its first image; in the end every image is done exactly once and the merged report lists all of them.
 */
class SlurmJobArrayTest {
    static final Path CLUSTER = Path.of("cluster").toAbsolutePath();
    static final int SHARDS = 4;
    static final int IMAGES = 10;

    @TempDir
    Path dir;

    @Test
    void jobArrayDecomposesEveryImageOnceThroughARequeue() throws Exception {
        assertTrue(LocalSlurm.missingCommand().isEmpty(), () -> LocalSlurm.missingCommand().get() + " is not "
                + "installed: this test runs a single-node SLURM cluster. Install it with 'apt-get install -y "
                + "slurm-wlm munge' (.ci/run does this).");
        assertNotNull(LocalSlurm.which("Xvfb"), "Xvfb is not installed: install it with 'apt-get install -y xvfb "
                + "xauth' (.ci/run does this).");
        PlainImageJ imageJ = PlainImageJ.install(Files.createDirectories(dir.resolve("imagej")));
        Path in = Files.createDirectories(dir.resolve("in"));
        List<String> names = new ArrayList<>();
        for (int i = 0; i < IMAGES; i++) {
            String name = String.format("img%02d", i);
            Ij1XvfbTest.savePng(FijiFixtures.rgb(name, 40 + 4 * i, 30), in.resolve(name + ".png"));
            names.add(name);
        }
        Path out = dir.resolve("out");
        Path logs = Files.createDirectories(dir.resolve("logs"));

        Process xvfb = null;
        try (LocalSlurm slurm = LocalSlurm.start(dir.resolve("slurm"), 2, SHARDS)) {
            String user = System.getProperty("user.name");
            for (ProcessHandle d : slurm.daemons()) {
                assertEquals(user, d.info().user().orElse("?"), "each daemon runs as the current user: " + d.info());
            }
            Path displayFile = dir.resolve("xvfb.display");
            xvfb = new ProcessBuilder(LocalSlurm.which("Xvfb").toString(), "-displayfd", "1", "-nolisten", "tcp",
                    "-screen", "0", "1024x768x24").redirectOutput(displayFile.toFile())
                    .redirectError(dir.resolve("xvfb.log").toFile()).start();
            slurm.await("Xvfb to choose its display", Duration.ofSeconds(20),
                    () -> readOrEmpty(displayFile).strip().matches("\\d+"));
            Path launcher = launcher(imageJ, ":" + readOrEmpty(displayFile).strip());

            Map<String, String> env = new LinkedHashMap<>();
            env.put("LAYERED_LAUNCHER", launcher.toString());
            env.put("LAYERED_OPTIONS", FijiFixtures.cheapOptions(1) + " formats=png");
            env.put("LAYERED_LOGS", logs.toString());
            env.put("LAYERED_SHARD_BASE", "1");
            String submitted = script(slurm, env, CLUSTER.resolve("submit.sh"), in.toString(), out.toString(),
                    Integer.toString(SHARDS));
            Matcher m = Pattern.compile("job array (\\d+) \\(tasks 1-4: shards 0/4 to 3/4\\) and summary job (\\d+)")
                    .matcher(submitted);
            assertTrue(m.find(), submitted);
            String array = m.group(1);
            String summaryJob = m.group(2);

            // shard 0 (task 1) takes img00, img04, img08: requeue it once its first image is done
            String task = array + "_1";
            Path taskLog = logs.resolve("layered-" + task + ".out");
            slurm.await("shard 0's first image", Duration.ofSeconds(120),
                    () -> OutputFolder.isComplete(out.resolve("img00")));
            slurm.run("scontrol", "requeue", task);
            // pending again once its processes have ended; scontrol requeue also sets a begin time two minutes
            // later, which the test does not wait for
            slurm.await("the requeued task to be pending", Duration.ofSeconds(30),
                    () -> field(job(slurm, task), "JobState").equals("PENDING"));
            Map<String, byte[]> doneBefore = new LinkedHashMap<>();
            for (String n : List.of("img00", "img04", "img08")) {
                if (OutputFolder.isComplete(out.resolve(n))) {
                    doneBefore.put(n, Files.readAllBytes(out.resolve(n).resolve(OutputFolder.MANIFEST)));
                }
            }
            slurm.run("scontrol", "update", "JobId=" + task, "StartTime=now");

            slurm.await("the summary job", Duration.ofSeconds(150), () -> {
                String state = field(job(slurm, summaryJob), "JobState");
                return !state.equals("PENDING") && !state.equals("RUNNING") && !state.equals("COMPLETING");
            });
            String summaryLog = Files.readString(logs.resolve("layered-summary-" + summaryJob + ".out"));
            String arrayJobs = slurm.job(array);
            assertEquals(List.of("COMPLETED"), fields(arrayJobs, "JobState").distinct().toList(), arrayJobs);
            assertEquals(SHARDS, fields(arrayJobs, "JobState").count(), arrayJobs);
            assertEquals(List.of("gres:gpu:1"), fields(arrayJobs, "TresPerNode").distinct().toList(),
                    "one GPU per task: " + arrayJobs);
            List<String> starts = taskLogs(logs, array).lines().filter(l -> l.startsWith("Layered: array task "))
                    .toList();
            assertEquals(SHARDS + 1, starts.size(), "four tasks, one of them twice: " + starts);
            assertTrue(starts.stream().allMatch(l -> l.matches(".*, CUDA_VISIBLE_DEVICES=\\d, at .*")),
                    "each run sees the GPU it was given: " + starts);
            assertEquals("1", field(slurm.job(task), "Restarts"), "requeued once");
            assertEquals("COMPLETED", field(slurm.job(summaryJob), "JobState"), summaryLog);

            // every image done, exactly once: one decomposition (its "saved to" line) in all the tasks' output
            String taskLogs = taskLogs(logs, array);
            for (String n : names) {
                assertTrue(OutputFolder.isComplete(out.resolve(n)), n + "\n" + taskLogs);
                assertEquals(1, count(taskLogs, "; saved to " + out.resolve(n) + "\n"), n + "\n" + taskLogs);
            }
            String requeued = Files.readString(taskLog);
            assertTrue(requeued.contains("DUE TO JOB REQUEUE"), "cancelled while running: " + requeued);
            assertEquals(1, count(requeued, "shard 0/4 finished"), requeued);
            assertTrue(requeued.contains(", run 2) on"), requeued);
            assertFalse(doneBefore.isEmpty());
            for (Map.Entry<String, byte[]> e : doneBefore.entrySet()) {
                assertTrue(requeued.contains(" " + e.getKey() + ".png: already done, skipped"), requeued);
                assertArrayEquals(e.getValue(), Files.readAllBytes(out.resolve(e.getKey())
                        .resolve(OutputFolder.MANIFEST)), e.getKey() + " was not redone");
            }

            // the summary job merged the four shards' tables
            List<String> rows = Files.readAllLines(out.resolve("summary.tsv"));
            assertEquals("file\tplane\tstatus\treason", rows.get(0));
            List<String> expected = new ArrayList<>();
            for (String n : names) {
                expected.add(n + ".png\t" + n + "\t" + (doneBefore.containsKey(n) ? "skipped" : "decomposed") + "\t");
            }
            assertEquals(expected, rows.subList(1, rows.size()), summaryLog);
            assertTrue(summaryLog.contains("Layered summary: 10 image file(s) from 4 of 4 shard(s): 10 plane(s) done ("
                    + (IMAGES - doneBefore.size()) + " decomposed, " + doneBefore.size() + " by an earlier run), 0 "
                    + "failed, 0 pending -> " + out.resolve("summary.tsv")), summaryLog);
            assertFalse(Files.exists(out.resolve("failed.tsv")));
            try (Stream<Path> s = Files.list(out)) {
                List<String> left = s.map(p -> p.getFileName().toString()).filter(f -> f.startsWith("."))
                        .toList();
                assertEquals(List.of(), left, "no staging folders, lock files or temporary tables left behind");
            }
            Ij1XvfbTest.assertNoStackTrace(taskLogs);
        } finally {
            if (xvfb != null) {
                xvfb.destroy();
                if (!xvfb.waitFor(10, TimeUnit.SECONDS)) {
                    xvfb.destroyForcibly();
                }
            }
        }
    }

    /**
     * The launcher a site would set to Fiji ({@code ImageJ-linux64 --headless --console -macro}): here plain ImageJ
     * 1.x with the plugin, on the test's display; {@code -batch macro argument} like Fiji's {@code -macro}.
     */
    private Path launcher(PlainImageJ imageJ, String display) throws IOException {
        StringBuilder s = new StringBuilder("#!/bin/sh\nexport DISPLAY=" + display + "\n");
        for (Map.Entry<String, String> e : PlainImageJ.environment().entrySet()) {
            s.append("export ").append(e.getKey()).append('=').append(quote(e.getValue())).append('\n');
        }
        s.append("exec");
        List<String> java = new ArrayList<>(imageJ.java(List.of(), "ij.ImageJ"));
        java.set(1, "-Xmx1g");
        for (String a : java) {
            s.append(' ').append(quote(a));
        }
        s.append(" -batch \"$@\"\n");
        Path p = dir.resolve("imagej-batch");
        Files.writeString(p, s.toString(), StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        return p;
    }

    private static String quote(String s) {
        assertFalse(s.contains("'"), s);
        return "'" + s + "'";
    }

    /** Runs a script of cluster/ on {@code slurm} with {@code env} added, in the logs folder; returns its output. */
    private String script(LocalSlurm slurm, Map<String, String> env, Path script, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(script.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.resolve("logs").toFile()).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("LAYERED_"));
        slurm.putEnvironment(pb);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), out);
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    private static String job(LocalSlurm slurm, String id) {
        try {
            return slurm.job(id);
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** The value of {@code Key=value} in scontrol's output (the first one). */
    private static String field(String scontrol, String key) {
        return fields(scontrol, key).findFirst().orElseThrow(() -> new AssertionError(key + " in " + scontrol));
    }

    private static Stream<String> fields(String scontrol, String key) {
        return Pattern.compile("(?:^|\\s)" + key + "=(\\S*)").matcher(scontrol).results().map(r -> r.group(1));
    }

    private static String taskLogs(Path logs, String array) throws IOException {
        try (Stream<Path> s = Files.list(logs)) {
            return s.filter(p -> p.getFileName().toString().startsWith("layered-" + array + "_")).sorted()
                    .map(p -> {
                        try {
                            return "=== " + p.getFileName() + "\n" + Files.readString(p);
                        } catch (IOException e) {
                            throw new AssertionError(e);
                        }
                    }).collect(Collectors.joining("\n"));
        }
    }

    private static int count(String text, String part) {
        int n = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
            n++;
        }
        return n;
    }

    private static String readOrEmpty(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p) : "";
        } catch (IOException e) {
            return "";
        }
    }
}
