package org.layered.fiji;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layered.engine.Cancellation;
import org.layered.pipeline.ProgressListener;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The scripts of {@code cluster/} without a scheduler (SlurmJobArrayTest runs them on a real SLURM): the merge of
 * the tables that sharded Decompose Folder runs write, and how an array task ID becomes a shard. The task script
 * gets the variables SLURM sets and a launcher that records its argument and writes a summary table.
 */
class ClusterScriptsTest {
    static final Path CLUSTER = Path.of("cluster").toAbsolutePath();

    @TempDir
    Path dir;

    record Run(int exit, String output) {}

    @Test
    void theMergeListsEveryShardsFilesAndFailuresAndSaysWhatIsMissing() throws Exception {
        Path in = Files.createDirectories(dir.resolve("in"));
        for (String n : new String[] {"a", "b", "c", "d", "e"}) {
            BatchDecomposeTest.save(FijiFixtures.rgb(n, 24, 16), in.resolve(n + ".png"));
        }
        Files.writeString(in.resolve("f.png"), "not a png");
        Path out = dir.resolve("out");
        shard(in, out, "0/3"); // a, d
        shard(in, out, "1/3"); // b, e

        Run r = merge(out, 3);
        assertEquals(1, r.exit(), r.output());
        assertTrue(r.output().contains("Layered summary: shard 2/3 left no report"), r.output());
        assertTrue(r.output().contains("Layered summary: 4 image file(s) from 2 of 3 shard(s): 4 plane(s) done (4 "
                + "decomposed, 0 by an earlier run), 0 failed, 0 pending -> " + out.resolve("summary.tsv")),
                r.output());
        assertFalse(Files.exists(out.resolve("failed.tsv")));

        // shard 2 (c, f) runs twice: the second run skips c, and f fails both times
        shard(in, out, "2/3");
        shard(in, out, "2/3");
        r = merge(out, 3);
        assertEquals(1, r.exit(), "a failed file is not done: " + r.output());
        assertTrue(r.output().contains("Layered summary: 6 image file(s) from 3 of 3 shard(s): 5 plane(s) done (4 "
                + "decomposed, 1 by an earlier run), 1 failed, 0 pending"), r.output());
        assertTrue(r.output().contains("the failed files and why are listed in " + out.resolve("failed.tsv")),
                r.output());
        String reason = "not an image Layered can read (PNG, JPEG, GIF, BMP, TIFF, PGM/PPM)";
        assertEquals(List.of("file\tplane\tstatus\treason", "a.png\ta\tdecomposed\t", "b.png\tb\tdecomposed\t",
                "c.png\tc\tskipped\t", "d.png\td\tdecomposed\t", "e.png\te\tdecomposed\t",
                "f.png\t\tfailed\t" + reason), Files.readAllLines(out.resolve("summary.tsv")));
        assertEquals(List.of("file\tplane\treason", "f.png\t\t" + reason), Files.readAllLines(out.resolve(
                "failed.tsv")));

        // cancelled half-way, shard 0 lists what it did not reach as pending
        Files.delete(in.resolve("f.png"));
        FijiFixtures.deleteTree(out.resolve("a"));
        FijiFixtures.deleteTree(out.resolve("d"));
        Cancellation cancel = new Cancellation();
        new BatchDecompose(DecomposeOptions.parse("layers=2 output=[" + out + "]"), in,
                BatchDecompose.Shard.parse("0/3"), new FijiFixtures.FakeDecomposer() {
                    @Override
                    public Run decompose(org.layered.image.RgbaImage image, DecomposeOptions options,
                            org.layered.pipeline.DecomposeSettings settings, ProgressListener progress, Cancellation c)
                            throws DecomposeException {
                        Run run = super.decompose(image, options, settings, progress, c);
                        c.cancel();
                        return run;
                    }
                }, m -> { }).run(ProgressListener.NONE, cancel);
        shard(in, out, "2/3");
        r = merge(out, 3);
        assertEquals(1, r.exit(), r.output());
        assertTrue(r.output().contains("Layered summary: 5 image file(s) from 3 of 3 shard(s): 3 plane(s) done (2 "
                + "decomposed, 1 by an earlier run), 0 failed, 2 pending"), r.output());
        assertFalse(Files.exists(out.resolve("failed.tsv")), "the merged failures are those of the last runs");

        shard(in, out, "0/3");
        r = merge(out, 3);
        assertEquals(0, r.exit(), r.output());
        assertTrue(r.output().contains("5 plane(s) done (4 decomposed, 1 by an earlier run), 0 failed, 0 pending"),
                r.output());
        try (var s = Files.list(out)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith(".")), "no temporary files left");
        }

        assertEquals(2, merge(out, 0).exit());
        assertEquals(1, merge(dir.resolve("missing"), 3).exit());
    }

    @Test
    void arrayTasksCountingFromZeroOrOneGetTheirShard() throws Exception {
        // --array=0-3 and --array=1-4: the first task takes shard 0/4
        Run r0 = task(array(0, 0, 3), Map.of(), "printf 'file\\tplane\\tstatus\\treason\\n' > \"$table\"");
        assertTrue(r0.output().contains("ARG --headless " + dir.resolve("batch.ijm") + " folder=[" + dir.resolve("in")
                + "] output=[" + dir.resolve("out") + "] shard=0/4 layers=3 formats=png,psd\n"), r0.output());
        assertEquals("shard=0/4", taskShard(array(0, 0, 3), Map.of()));
        assertEquals("shard=3/4", taskShard(array(3, 0, 3), Map.of()));
        assertEquals("shard=0/4", taskShard(array(1, 1, 4), Map.of()));
        assertEquals("shard=3/4", taskShard(array(4, 1, 4), Map.of()));
        // tasks 1-3 of an array of 8 submitted again: the base cannot be guessed, LAYERED_SHARDS says how many
        assertEquals("shard=1/8", taskShard(array(1, 1, 3), Map.of("LAYERED_SHARDS", "8")));
        assertEquals("shard=0/8", taskShard(array(1, 1, 3), Map.of("LAYERED_SHARDS", "8", "LAYERED_SHARD_BASE",
                "1")));

        Run r = task(array(4, 0, 4), Map.of("LAYERED_SHARDS", "4"), "");
        assertEquals(1, r.exit(), r.output());
        assertTrue(r.output().contains("array task ID 4 is not one of 0..3 (4 shards counted from 0): set "
                + "LAYERED_SHARDS and LAYERED_SHARD_BASE to match --array"), r.output());
        r = task(array(0, 0, 3), Map.of("LAYERED_SHARD_BASE", "2"), "");
        assertTrue(r.output().contains("LAYERED_SHARD_BASE must be 0 or 1"), r.output());
        r = task(array(0, 0, 3), Map.of("LAYERED_SHARDS", "four"), "");
        assertTrue(r.output().contains("LAYERED_SHARDS must be the number of shards, got 'four'"), r.output());
        Map<String, String> plain = new HashMap<>(array(0, 0, 3));
        plain.remove("SLURM_ARRAY_TASK_ID");
        r = task(plain, Map.of(), "");
        assertTrue(r.output().contains("not a task of a job array"), r.output());
        assertEquals(1, r.exit());
    }

    @Test
    void aTaskFailsWhenItsShardDidNotFinish() throws Exception {
        Run r = task(array(2, 0, 3), Map.of(), "printf 'file\\tplane\\tstatus\\treason\\nx.png\\tx\\tdecomposed\\t\\n"
                + "y.png\\t\\tfailed\\tbroken\\n' > \"$table\"");
        assertEquals(0, r.exit(), "failed files are listed, the shard is done: " + r.output());
        assertTrue(r.output().contains("Layered: shard 2/4 finished at "), r.output());
        assertTrue(r.output().contains(": 1 decomposed, 0 skipped (already done), 1 failed"), r.output());

        // the launcher ran nothing (ImageJ's -batch ends with 0 all the same): the table of the run before does
        // not count for this one
        r = task(array(2, 0, 3), Map.of(), "exit 0");
        assertEquals(1, r.exit(), r.output());
        assertTrue(r.output().contains("Layered: shard 2/4 did not start (launcher status 0): no "
                + dir.resolve("out/summary-2-of-4.tsv") + "; see above"), r.output());
        r = task(array(2, 0, 3), Map.of(), "exit 3");
        assertTrue(r.output().contains("did not start (launcher status 3)"), r.output());

        r = task(array(2, 0, 3), Map.of(), "printf 'file\\tplane\\tstatus\\treason\\nx.png\\tx\\tdecomposed\\t\\n"
                + "y.png\\t\\tpending\\t\\n' > \"$table\"");
        assertEquals(1, r.exit(), r.output());
        assertTrue(r.output().contains("shard 2/4 stopped with 1 file(s) or plane(s) pending (launcher status 0); "
                + "submit it again to resume"), r.output());
    }

    private void shard(Path in, Path out, String shard) throws Exception {
        new BatchDecompose(DecomposeOptions.parse("layers=2 output=[" + out + "]"), in, BatchDecompose.Shard.parse(
                shard), new FijiFixtures.FakeDecomposer(), m -> { }).run(ProgressListener.NONE, new Cancellation());
    }

    private Run merge(Path out, int shards) throws Exception {
        return bash(List.of(CLUSTER.resolve("merge-reports.sh").toString(), out.toString(),
                Integer.toString(shards)), Map.of());
    }

    /** The variables SLURM sets for task {@code id} of {@code --array=min-max}. */
    private static Map<String, String> array(int id, int min, int max) {
        return Map.of("SLURM_ARRAY_TASK_ID", Integer.toString(id), "SLURM_ARRAY_TASK_MIN", Integer.toString(min),
                "SLURM_ARRAY_TASK_MAX", Integer.toString(max), "SLURM_ARRAY_TASK_COUNT",
                Integer.toString(max - min + 1), "SLURM_JOB_ID", "77");
    }

    /** The shard a task passes to Decompose Folder, with a launcher that records it and finishes the shard. */
    private String taskShard(Map<String, String> slurm, Map<String, String> layered) throws Exception {
        Run r = task(slurm, layered, "printf 'file\\tplane\\tstatus\\treason\\n' > \"$table\"");
        assertEquals(0, r.exit(), r.output());
        return r.output().lines().filter(l -> l.startsWith("ARG ")).findFirst().orElseThrow(
                () -> new AssertionError(r.output())).replaceAll(".* (shard=\\S+) .*", "$1");
    }

    /**
     * Runs decompose-shard.sbatch as SLURM would, with a launcher that prints its arguments ({@code ARG ...}) and
     * then runs {@code body} with {@code $table} set to the summary table the shard would write.
     */
    private Run task(Map<String, String> slurm, Map<String, String> layered, String body) throws Exception {
        Path launcher = dir.resolve("launcher");
        Files.writeString(launcher, "#!/usr/bin/env bash\necho \"ARG $*\"\n"
                + "shard=$(echo \"${@: -1}\" | sed 's/.*shard=\\([0-9]*\\)\\/\\([0-9]*\\).*/\\1-of-\\2/')\n"
                + "table='" + dir.resolve("out") + "'/summary-$shard.tsv\n" + body + "\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path macro = dir.resolve("batch.ijm");
        Files.writeString(macro, "// stands for macros/batch.ijm\n");
        Files.createDirectories(dir.resolve("out"));
        Map<String, String> env = new HashMap<>(slurm);
        env.put("LAYERED_FOLDER", dir.resolve("in").toString());
        env.put("LAYERED_OUTPUT", dir.resolve("out").toString());
        env.put("LAYERED_LAUNCHER", launcher + " --headless");
        env.put("LAYERED_MACRO", macro.toString());
        env.put("LAYERED_OPTIONS", "layers=3 formats=png,psd");
        env.putAll(layered);
        return bash(List.of(CLUSTER.resolve("decompose-shard.sbatch").toString()), env);
    }

    private Run bash(List<String> command, Map<String, String> env) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("bash"));
        cmd.addAll(command);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("SLURM_") || k.startsWith("LAYERED_"));
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), out);
        return new Run(p.exitValue(), out);
    }
}
