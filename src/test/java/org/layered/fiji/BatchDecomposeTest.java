package org.layered.fiji;

import ij.IJ;
import ij.ImagePlus;
import ij.io.FileSaver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layered.engine.Cancellation;
import org.layered.export.OutputFolder;
import org.layered.pipeline.ProgressListener;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** Folder batch: which files, which planes, resuming and sharding (network stubbed out). */
class BatchDecomposeTest {
    @TempDir
    Path dir;

    private final List<String> log = new ArrayList<>();

    private Path folderOf(String... names) throws Exception {
        Path in = Files.createDirectories(dir.resolve("in"));
        for (String n : names) {
            ImagePlus imp = FijiFixtures.rgb(n, 24, 16);
            save(imp, in.resolve(n));
            assertTrue(Files.exists(in.resolve(n)), n);
        }
        return in;
    }

    static void save(ImagePlus imp, Path file) {
        String f = file.toString();
        FileSaver saver = new FileSaver(imp);
        assertTrue(!f.endsWith(".tif") ? saver.saveAsPng(f) : imp.getStackSize() > 1 ? saver.saveAsTiffStack(f)
                : saver.saveAsTiff(f), f);
    }

    private BatchDecompose.Summary run(Path in, String shard, FijiFixtures.FakeDecomposer fake, Cancellation cancel)
            throws Exception {
        DecomposeOptions o = DecomposeOptions.parse("layers=2 output=[" + dir.resolve("out") + "]");
        return new BatchDecompose(o, in, BatchDecompose.Shard.parse(shard), fake, log::add)
                .run(ProgressListener.NONE, cancel);
    }

    @Test
    void decomposesEveryImageThenSkipsWhatIsDone() throws Exception {
        Path in = folderOf("a.png", "b.png", "c.png");
        Files.writeString(in.resolve("notes.txt"), "not an image");
        Files.writeString(in.resolve("broken.png"), "not a png");
        FijiFixtures.FakeDecomposer fake = new FijiFixtures.FakeDecomposer();
        BatchDecompose.Summary s = run(in, "", fake, new Cancellation());
        assertEquals(new BatchDecompose.Summary(4, 4, 3, 0, 1, false), s, log.toString());
        for (String n : new String[] {"a", "b", "c"}) {
            assertTrue(OutputFolder.isComplete(dir.resolve("out").resolve(n)), n);
            assertTrue(Files.exists(dir.resolve("out").resolve(n).resolve("layer-2.png")), n);
        }
        assertTrue(log.stream().anyMatch(l -> l.equals("Layered batch: image 3/4 broken.png: error: not an image "
                + "Layered can read (PNG, JPEG, GIF, BMP, TIFF, PGM/PPM)")), log.toString());
        assertEquals(List.of("file\tplane\treason", "broken.png\t\tnot an image Layered can read (PNG, JPEG, GIF, "
                + "BMP, TIFF, PGM/PPM)"), Files.readAllLines(dir.resolve("out/failed.tsv")));

        // an interrupted run left c unfinished: only its staging folder beside the output
        FijiFixtures.deleteTree(dir.resolve("out/c"));
        Files.createDirectories(dir.resolve("out/.c.part/junk"));
        fake = new FijiFixtures.FakeDecomposer();
        s = run(in, "", fake, new Cancellation());
        assertEquals(new BatchDecompose.Summary(4, 4, 1, 2, 1, false), s, log.toString());
        assertEquals(1, fake.calls);
        assertTrue(OutputFolder.isComplete(dir.resolve("out/c")));
        assertFalse(Files.exists(dir.resolve("out/.c.part")));
    }

    @Test
    void everyUnreadableFileIsListedWithItsReasonAndTheRestIsDone() throws Exception {
        Path in = folderOf("good.png");
        Files.writeString(in.resolve("garbage.tif"), "II*\0 not really a TIFF");
        Files.write(in.resolve("empty.jpg"), new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, 0});
        Path stack = in.resolve("cut.tif");
        save(IJ.createImage("cut", "8-bit ramp", 60, 40, 3), stack);
        byte[] tif = Files.readAllBytes(stack);
        Files.write(stack, java.util.Arrays.copyOf(tif, tif.length / 2));
        try (java.util.zip.ZipOutputStream z = new java.util.zip.ZipOutputStream(
                Files.newOutputStream(in.resolve("notes.zip")))) {
            z.putNextEntry(new java.util.zip.ZipEntry("notes.txt"));
            z.write("no TIFF in here".getBytes());
        }
        // a GIF of two frames is two planes; a zipped ImageJ TIFF is read like the TIFF
        byte[] gif = org.layered.image.TestImageFiles.gif(new int[] {0xFF0000, 0x0000FF}, List.of(
                new org.layered.image.TestImageFiles.GifFrame(0, 0, 20, 10, new int[200], -1, "none"),
                new org.layered.image.TestImageFiles.GifFrame(0, 0, 20, 10, new int[200], -1, "none")));
        Files.write(in.resolve("anim.gif"), gif);
        Path ijTif = dir.resolve("slice.tif");
        save(FijiFixtures.rgb("slice", 20, 12), ijTif);
        try (java.util.zip.ZipOutputStream z = new java.util.zip.ZipOutputStream(
                Files.newOutputStream(in.resolve("zipped.zip")))) {
            z.putNextEntry(new java.util.zip.ZipEntry("slice.tif"));
            z.write(Files.readAllBytes(ijTif));
        }
        // the result folder of good.png holds someone's file: that plane fails, the file stays
        Files.createDirectories(dir.resolve("out/good"));
        Files.writeString(dir.resolve("out/good/keep.txt"), "mine");

        BatchDecompose.Summary s = run(in, "", new FijiFixtures.FakeDecomposer(), new Cancellation());
        assertEquals(new BatchDecompose.Summary(7, 7, 3, 0, 5, false), s, log.toString());
        for (String n : new String[] {"anim-z1", "anim-z2", "zipped"}) {
            assertTrue(OutputFolder.isComplete(dir.resolve("out").resolve(n)), n + " " + log);
        }
        List<String> rows = Files.readAllLines(dir.resolve("out/failed.tsv"));
        assertEquals(6, rows.size(), rows.toString());
        String all = String.join("\n", rows);
        assertTrue(all.contains("garbage.tif\tgarbage\tcannot read the image: "), all);
        assertTrue(all.contains("empty.jpg\t\tthe file holds no image (damaged?)"), all);
        assertTrue(all.contains("cut.tif\t\tthe file ends early (truncated?): ImageJ read "), all);
        assertTrue(all.contains("notes.zip\t\tthe ZIP archive holds no TIFF"), all);
        assertTrue(all.contains("good.png\tgood\tcannot save there, so nothing was computed: "), all);
        assertTrue(all.contains("holds files that are not part of a previous Layered result (keep.txt)"), all);
        assertEquals("mine", Files.readString(dir.resolve("out/good/keep.txt")));
        assertTrue(log.contains("Layered batch: the failed files and why are listed in " + dir.resolve("out")
                .resolve("failed.tsv")), log.toString());
        assertEquals(List.of("file\tplane\tstatus\treason", "anim.gif\tanim-z1\tdecomposed\t",
                "anim.gif\tanim-z2\tdecomposed\t", "cut.tif\t\tfailed\tthe file ends early (truncated?): ImageJ "
                + "read 1 of its 3 images"),
                Files.readAllLines(dir.resolve("out/summary.tsv")).subList(0, 4));

        // the table describes the last run: a clean run removes it
        Files.delete(dir.resolve("out/good/keep.txt"));
        for (String n : new String[] {"garbage.tif", "empty.jpg", "cut.tif", "notes.zip"}) {
            Files.delete(in.resolve(n));
        }
        s = run(in, "", new FijiFixtures.FakeDecomposer(), new Cancellation());
        assertEquals(0, s.failed(), log.toString());
        assertFalse(Files.exists(dir.resolve("out/failed.tsv")));
    }

    @Test
    void shardsSplitTheSortedFilesWithoutOverlap() throws Exception {
        Path in = folderOf("f1.png", "f2.png", "f3.png", "f4.png", "f5.png");
        assertEquals(new BatchDecompose.Summary(5, 2, 2, 0, 0, false),
                run(in, "1/2", new FijiFixtures.FakeDecomposer(), new Cancellation()));
        assertTrue(Files.exists(dir.resolve("out/f2/manifest.json")));
        assertTrue(Files.exists(dir.resolve("out/f4/manifest.json")));
        assertFalse(Files.exists(dir.resolve("out/f1")));
        assertEquals(new BatchDecompose.Summary(5, 3, 3, 0, 0, false),
                run(in, "0/2", new FijiFixtures.FakeDecomposer(), new Cancellation()));
        try (var results = Files.list(dir.resolve("out"))) {
            assertEquals(5, results.filter(Files::isDirectory).count());
        }
        assertEquals(List.of("file\tplane\tstatus\treason", "f2.png\tf2\tdecomposed\t", "f4.png\tf4\tdecomposed\t"),
                Files.readAllLines(dir.resolve("out/summary-1-of-2.tsv")), "each shard writes its own tables");
        assertEquals(List.of("file\tplane\tstatus\treason", "f1.png\tf1\tdecomposed\t", "f3.png\tf3\tdecomposed\t",
                "f5.png\tf5\tdecomposed\t"), Files.readAllLines(dir.resolve("out/summary-0-of-2.tsv")));
        assertFalse(Files.exists(dir.resolve("out/summary.tsv")));
    }

    @Test
    void everyPlaneOfAStackIsOneResultAndClashingNamesStayApart() throws Exception {
        Path in = Files.createDirectories(dir.resolve("in"));
        save(IJ.createImage("s", "8-bit ramp", 20, 12, 3), in.resolve("s.tif"));
        save(FijiFixtures.rgb("s", 20, 12), in.resolve("s.png"));
        BatchDecompose.Summary s = run(in, "", new FijiFixtures.FakeDecomposer(), new Cancellation());
        assertEquals(4, s.decomposed(), log.toString());
        for (String n : new String[] {"s_png", "s_tif-z1", "s_tif-z2", "s_tif-z3"}) {
            assertTrue(OutputFolder.isComplete(dir.resolve("out").resolve(n)), n + " " + log);
        }
        assertEquals(Map.of(in.resolve("x.png"), "x"), BatchDecompose.baseNames(List.of(in.resolve("x.png"))));
    }

    @Test
    void cancellingStopsBetweenImagesAndTheRestFollowsOnResume() throws Exception {
        Path in = folderOf("a.png", "b.png");
        Cancellation cancel = new Cancellation();
        FijiFixtures.FakeDecomposer fake = new FijiFixtures.FakeDecomposer() {
            @Override
            public Run decompose(org.layered.image.RgbaImage image, DecomposeOptions options,
                    org.layered.pipeline.DecomposeSettings settings, ProgressListener progress, Cancellation c)
                    throws DecomposeException {
                Run r = super.decompose(image, options, settings, progress, c);
                c.cancel(); // as if Esc was pressed during the first image
                return r;
            }
        };
        BatchDecompose.Summary s = run(in, "", fake, cancel);
        assertTrue(s.cancelled());
        assertEquals(0, s.decomposed());
        assertFalse(Files.exists(dir.resolve("out/a")), "a cancelled image leaves no result");
        assertEquals(List.of("file\tplane\tstatus\treason", "a.png\ta\tpending\t", "b.png\t\tpending\t"),
                Files.readAllLines(dir.resolve("out/summary.tsv")), "what was not done is listed as pending");
        s = run(in, "", new FijiFixtures.FakeDecomposer(), new Cancellation());
        assertEquals(2, s.decomposed());
    }

    @Test
    void badBatchSetupsAreClearMessages() throws Exception {
        Path in = folderOf("a.png");
        DecomposeOptions noOutput = DecomposeOptions.parse("layers=2");
        FijiFixtures.FakeDecomposer fake = new FijiFixtures.FakeDecomposer();
        assertTrue(assertThrows(DecomposeException.class, () -> new BatchDecompose(noOutput, in,
                BatchDecompose.Shard.ALL, fake, log::add)).getMessage().contains("no output folder"));
        assertTrue(assertThrows(DecomposeException.class, () -> new BatchDecompose(
                DecomposeOptions.parse("output=" + dir), dir.resolve("missing"), BatchDecompose.Shard.ALL, fake,
                log::add)).getMessage().contains("folder of images not found"));
        assertTrue(assertThrows(DecomposeException.class, () -> new BatchDecompose(
                DecomposeOptions.parse("output=[" + in + "]"), in, BatchDecompose.Shard.ALL, fake, log::add))
                .getMessage().contains("must not be the folder of images"));
        for (String bad : new String[] {"2/2", "x", "1", "-1/3", "1/0"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> BatchDecompose.Shard.parse(bad), bad);
            assertTrue(e.getMessage().startsWith("shard must be i/n"), e.getMessage());
        }
        assertEquals(new BatchDecompose.Shard(3, 8), BatchDecompose.Shard.parse(" 3 / 8 "));
    }
}
