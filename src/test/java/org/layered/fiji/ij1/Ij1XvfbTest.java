package org.layered.fiji.ij1;

import ij.IJ;
import ij.ImagePlus;
import ij.io.FileSaver;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layered.fiji.DecomposeOptions;
import org.layered.fiji.FijiFixtures;
import org.layered.export.OutputFolder;
import org.layered.fiji.MacroOptions;
import org.layered.pipeline.ResolutionBucket;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Plain ImageJ 1.x with a display, as users run it: a child JVM under {@code xvfb-run} (this JVM stays headless),
 * started with only ij.jar and the runtime libraries on the class path and the plugin jar in {@code plugins/}
 * ({@link PlainImageJ}). The user-facing macros of {@code macros/} are what runs. {@code -batch} exits 0 even when a
 * macro fails, so the outputs and printed lines are checked.
 */
class Ij1XvfbTest {
    static final Path MACROS = Path.of("macros").toAbsolutePath();

    @TempDir
    static Path home;
    static PlainImageJ imageJ;

    @BeforeAll
    static void installPlugin() throws Exception {
        assertNotNull(PlainImageJ.xvfbRun(), "xvfb-run is not installed: these tests run plain ImageJ under a "
                + "virtual display. Install it with 'apt-get install -y xvfb xauth' (.ci/run does this).");
        imageJ = PlainImageJ.install(home);
    }

    /** A child ImageJ running {@code ImageJ -batch macro arg} under xvfb-run. */
    static Process startImageJ(Path macro, String arg, Path log) throws IOException {
        return startChild(List.of(), "ij.ImageJ", List.of("-batch", macro.toString(), arg), log);
    }

    /** A child JVM under xvfb-run with ij.jar, the runtime jars and {@code extraJars} on its class path. */
    static Process startChild(List<String> extraJars, String mainClass, List<String> args, Path log)
            throws IOException {
        List<String> cmd = new ArrayList<>(List.of(PlainImageJ.xvfbRun(), "-a"));
        cmd.addAll(imageJ.java(extraJars, mainClass));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(PlainImageJ.environment());
        return pb.start();
    }

    static String runImageJ(Path macro, String arg, Duration timeout) throws Exception {
        Path log = Files.createTempFile(home, "imagej", ".log");
        return waitFor(startImageJ(macro, arg, log), log, timeout);
    }

    static String waitFor(Process p, Path log, Duration timeout) throws Exception {
        if (!p.waitFor(timeout.toSeconds(), java.util.concurrent.TimeUnit.SECONDS)) {
            kill(p);
            fail("ImageJ did not finish within " + timeout + ":\n" + tail(log));
        }
        return Files.readString(log, StandardCharsets.UTF_8);
    }

    static void kill(Process p) throws InterruptedException {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        p.waitFor();
    }

    static String tail(Path log) throws IOException {
        String s = Files.readString(log, StandardCharsets.UTF_8);
        return s.length() > 6000 ? s.substring(s.length() - 6000) : s;
    }

    static void savePng(ImagePlus imp, Path file) {
        assertTrue(new FileSaver(imp).saveAsPng(file.toString()), file.toString());
    }

    static void assertNoStackTrace(String out) {
        assertFalse(out.contains("\tat org.layered") || out.contains("Exception in thread"), out);
    }

    @Test
    void singleThenRecursiveMacroWithRoisRecomposeAndTheOldNames() throws Exception {
        Path in = home.resolve("photo.png");
        savePng(FijiFixtures.rgb("photo", 90, 70), in);
        Path out = home.resolve("single-out");
        Path out2 = home.resolve("recursive-out");
        Path empty = Files.createDirectories(home.resolve("empty-in"));
        Path driver = home.resolve("single-then-recursive.ijm");
        Files.writeString(driver, "runMacro('" + MACROS.resolve("single.ijm") + "', '"
                + "file=[" + in + "] " + FijiFixtures.cheapOptions(2) + " output=[" + out + "] formats=png,tiff"
                + " rois=true');\n"
                + "print('MARK single done nImages=' + nImages);\n"
                + "selectImage('photo.png'); print('MARK overlay ' + Overlay.size);\n"
                + "runMacro('" + MACROS.resolve("recursive.ijm") + "', '"
                + "stack=[" + out.resolve("photo/layers.tif") + "] layer=2 " + FijiFixtures.cheapOptions(1)
                + " output=[" + out2 + "] formats=png,ora');\n"
                + "print('MARK recursive done');\n"
                + "run('Recompose...', 'layers=1 type=RGB');\n"
                + "print('MARK recomposed ' + getTitle() + ' ' + bitDepth());\n"
                + "run('Decompose Folder', 'folder=[" + empty + "] output=[" + home.resolve("empty-out") + "] "
                + FijiFixtures.cheapOptions(1) + "');\n"
                + "print('MARK old name done');\n");
        String log = runImageJ(driver, "", Duration.ofMinutes(4));

        ResolutionBucket b = ResolutionBucket.forImage(640, 90, 70);
        assertTrue(log.contains("Layered: photo.png -> photo-layers: 2 layers of " + b.width() + "x" + b.height()
                + ", seed 5"), log);
        assertTrue(log.contains("  layer 1 (bottom): coverage "), log);
        assertTrue(log.contains("  layer 2 (top): coverage "), log);
        assertTrue(log.contains("[layered] step 1/1, elapsed "), "a line per step without a GUI: " + log);
        assertTrue(log.contains("Please cite: Qwen-Image-Layered, arXiv 2512.15603"), log);
        assertEquals(1, log.lines().filter(l -> l.contains("Please cite")).count(), "once per session: " + log);
        assertTrue(log.contains("MARK single done"), log);
        // rois=true in a batch-mode macro: the macro's ROI Manager holds layer-1, layer-2; the input has the outlines
        assertTrue(log.contains("added to the ROI Manager and outlined in the overlay of photo.png"), log);
        assertTrue(log.contains("  ROI layer-1\n  ROI layer-2\n"), log);
        assertTrue(log.contains("MARK overlay 2"), log);
        for (String f : new String[] {"layer-1.png", "layer-2.png", "composite.png", "layers.tif", "manifest.json"}) {
            assertTrue(Files.isRegularFile(out.resolve("photo").resolve(f)), f + "\n" + log);
        }
        ImagePlus tif = IJ.openImage(out.resolve("photo/layers.tif").toString());
        assertArrayEquals(new int[] {b.width(), b.height(), 4, 2, 1}, tif.getDimensions());

        // Decompose Layer... on layer 2 of the saved hyperstack: shown as <title>-layer-2-layers, saved nested
        assertTrue(log.contains("Layered: layers.tif -> layers-layer-2-layers: 1 sub-layers"), log);
        Path nested = out2.resolve("layers-layer-2");
        assertTrue(OutputFolder.isComplete(nested), log);
        org.layered.layers.LayerTree tree = org.layered.export.LayerFiles.read(nested.resolve("layers.ora")).tree();
        assertTrue(tree.node("2") instanceof org.layered.layers.LayerTree.Group, "the ORA nests the sub-layer");
        assertEquals(List.of("1", "2.1"), tree.leaves().stream().map(org.layered.layers.LayerTree.PathLeaf::path)
                .toList());
        assertTrue(log.contains("MARK recursive done"), log);
        assertTrue(log.contains("MARK recomposed layers-layer-2-recomposed 24"), log);
        // the old name of Decompose Folder... still runs it
        assertTrue(log.contains("Layered batch: 0 of 0 image file(s)"), log);
        assertTrue(log.contains("MARK old name done"), log);
        assertFalse(log.contains("Unrecognized command"), log);
        assertNoStackTrace(log);
    }

    @Test
    void batchMacroIsInterruptedAndResumed() throws Exception {
        Path in = Files.createDirectories(home.resolve("batch-in"));
        for (String n : new String[] {"a", "b", "c"}) {
            savePng(FijiFixtures.rgb(n, 40 + n.charAt(0) % 3 * 10, 30), in.resolve(n + ".png"));
        }
        Path out = home.resolve("batch-out");
        String arg = "folder=[" + in + "] output=[" + out + "] " + FijiFixtures.cheapOptions(1);
        Path batch = MACROS.resolve("batch.ijm");

        // first run: killed (like a job hitting its time limit) as soon as the first image is complete
        Path log1 = home.resolve("batch-1.log");
        Process p = startImageJ(batch, arg, log1);
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (completed(out).isEmpty()) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                kill(p);
                fail("the first image was not completed:\n" + tail(log1));
            }
            Thread.sleep(100);
        }
        kill(p);
        List<String> first = completed(out);
        assertEquals(List.of("a"), first, tail(log1));
        assertFalse(Files.readString(log1).contains("Layered: batch finished"), tail(log1));
        byte[] manifestA = Files.readAllBytes(out.resolve("a/manifest.json"));

        // second run: picks up where the first stopped
        String log2 = runImageJ(batch, arg, Duration.ofMinutes(4));
        assertTrue(log2.contains("image 1/3 a.png: already done, skipped"), log2);
        assertTrue(log2.contains("Layered batch: 3 of 3 image file(s) in this shard: 2 plane(s) decomposed, "
                + "1 skipped (already done), 0 failed"), log2);
        assertTrue(log2.contains("Layered: batch finished"), log2);
        assertEquals(List.of("a", "b", "c"), completed(out));
        assertArrayEquals(manifestA, Files.readAllBytes(out.resolve("a/manifest.json")), "a was not redone");
        assertEquals(List.of("file\tplane\tstatus\treason", "a.png\ta\tskipped\t", "b.png\tb\tdecomposed\t",
                "c.png\tc\tdecomposed\t"), Files.readAllLines(out.resolve("summary.tsv")));
        try (Stream<Path> s = Files.list(out)) {
            assertEquals(List.of("a", "b", "c", "summary.tsv"), s.map(f -> f.getFileName().toString()).sorted()
                    .toList(), "no staging folders, lock files or temporary tables left behind");
        }
        assertNoStackTrace(log2);
    }

    /**
     * ImageJ's openers report an unreadable file by aborting the running macro with an error dialog, which nobody
     * can close under {@code -batch}: the batch used to hang here. Now each bad file is a Log line and a row of
     * failed.tsv, and the batch ends with its summary.
     */
    @Test
    void unreadableFilesAreListedAndTheBatchFinishes() throws Exception {
        Path in = Files.createDirectories(home.resolve("broken-in"));
        savePng(FijiFixtures.rgb("good", 40, 30), in.resolve("good.png"));
        Files.writeString(in.resolve("garbage.png"), "not a PNG at all");
        Files.write(in.resolve("garbage.jpg"), new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, 0, 1, 2});
        Path stack = in.resolve("cut.tif");
        assertTrue(new FileSaver(IJ.createImage("cut", "8-bit ramp", 60, 40, 3)).saveAsTiffStack(stack.toString()));
        byte[] tif = Files.readAllBytes(stack);
        Files.write(stack, java.util.Arrays.copyOf(tif, tif.length / 2)); // ImageJ's header, half the pixels
        Path out = home.resolve("broken-out");
        String log = runImageJ(MACROS.resolve("batch.ijm"), "folder=[" + in + "] output=[" + out + "] "
                + FijiFixtures.cheapOptions(1), Duration.ofMinutes(3));
        assertTrue(log.contains("Layered batch: 4 of 4 image file(s) in this shard: 1 plane(s) decomposed, 0 skipped "
                + "(already done), 3 failed"), log);
        assertTrue(log.contains("Layered: batch finished"), log);
        List<String> failed = Files.readAllLines(out.resolve("failed.tsv"));
        assertEquals("file\tplane\treason", failed.get(0));
        assertEquals(List.of("cut.tif", "garbage.jpg", "garbage.png"), failed.subList(1, failed.size()).stream()
                .map(l -> l.substring(0, l.indexOf('\t'))).sorted().toList());
        assertTrue(failed.stream().anyMatch(l -> l.startsWith("cut.tif\t\tthe file ends early (truncated?): ImageJ "
                + "read ")), failed.toString());
        assertTrue(failed.stream().anyMatch(l -> l.startsWith("garbage.png\t\tnot an image Layered can read")),
                failed.toString());
        assertEquals(List.of("good"), completed(out));
        assertNoStackTrace(log);
    }

    @Test
    void dialogRunWithTheAdvancedStepIsRecordedWithTheMacroKeysAndTheSeedUsed() throws Exception {
        // the driver class alone goes on the class path: the plugin still comes from plugins/
        Path driverJar = home.resolve("driver.jar");
        Path classes = Path.of(DialogDriver.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        String entry = DialogDriver.class.getName().replace('.', '/') + ".class";
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(driverJar))) {
            out.putNextEntry(new JarEntry(entry));
            Files.copy(classes.resolve(entry), out);
            out.closeEntry();
        }
        Path out = home.resolve("dialog-out");
        Path log = home.resolve("dialog.log");
        String text = waitFor(startChild(List.of(driverJar.toString()), DialogDriver.class.getName(),
                List.of(FijiFixtures.model().toString(), FijiFixtures.inputs().toString(), out.toString()), log),
                log, Duration.ofMinutes(3));
        // the old names run the same plugins as the new ones
        assertTrue(text.contains("DRIVER command Decompose -> org.layered.fiji.ij1.DecomposePlugin(\"\")"), text);
        assertTrue(text.contains("DRIVER command Decompose Folder -> org.layered.fiji.ij1.DecomposeFolderPlugin"),
                text);
        assertTrue(text.contains("DRIVER command Decompose... -> org.layered.fiji.ij1.DecomposePlugin(\"\")"), text);
        assertTrue(text.contains("DRIVER command Recompose... -> org.layered.fiji.ij1.RecomposePlugin"), text);
        assertTrue(text.contains("DRIVER dialog Layered: Decompose\n"), text);
        assertTrue(text.contains("DRIVER buttons OK|Cancel|Advanced...|Help"), text);
        // basic first: model, layers, seed, prompt, output; max layers and steps; no CFG, negative or embeddings
        assertTrue(text.contains("DRIVER basic 5 text fields, 2 number fields"), text);
        assertTrue(text.contains("DRIVER dialog Layered: Decompose (advanced)"), text);
        // exactly the devices there are: the child's Layered home sets up no CUDA engine, so no CUDA device
        assertTrue(text.contains("DRIVER devices auto|cpu\n"), text);
        assertTrue(text.contains("DRIVER result ramp-layers [736, 544, 4, 1, 1]"), text);
        String recorded = text.lines().filter(l -> l.startsWith("DRIVER recorded run(\"Decompose...\", \""))
                .findFirst().orElseThrow(() -> new AssertionError(text));
        String options = recorded.substring(recorded.indexOf(", \"") + 3, recorded.lastIndexOf("\");"));
        DecomposeOptions replay = DecomposeOptions.parse(options);
        assertEquals(FijiFixtures.model().toString(), replay.model());
        assertEquals(1, replay.layers());
        assertEquals(1, replay.steps());
        assertEquals(1.0, replay.cfg(), "set in the advanced step, recorded all the same");
        assertEquals(FijiFixtures.inputs().toString(), replay.inputs());
        assertEquals(out.toString(), replay.output());
        assertTrue(replay.seed().matches("\\d+"), "the random seed used is recorded: " + options);
        assertEquals(DecomposeOptions.KEYS, List.copyOf(MacroOptions.parse(options).keys()), options);
        assertTrue(OutputFolder.isComplete(out.resolve("ramp")), text);
        assertNoStackTrace(text);
    }

    static List<String> completed(Path out) throws IOException {
        if (!Files.isDirectory(out)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(out)) {
            return s.filter(OutputFolder::isComplete).map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

}
