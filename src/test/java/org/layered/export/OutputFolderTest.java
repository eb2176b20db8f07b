package org.layered.export;

import com.google.gson.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layered.engine.Cancellation;
import org.layered.layers.LayerStack;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** One result folder: claimed before computing, replaced as a whole, never mixed, never losing other files. */
class OutputFolderTest {
    @TempDir
    Path dir;

    private static final List<LayerExporter> PNG = List.of(new PngStackWriter());

    private static JsonObject manifest() {
        JsonObject m = new JsonObject();
        m.addProperty("generator", "Layered (Qwen-Image-Layered)");
        return m;
    }

    private List<String> write(Path out, int layers) throws IOException {
        try (OutputFolder f = OutputFolder.claim(out, 0)) {
            return f.write(TestStacks.random(24, 16, layers, layers), PNG, manifest(), new Cancellation());
        }
    }

    private static List<String> names(Path folder) throws IOException {
        try (Stream<Path> s = Files.list(folder)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aRerunReplacesThePreviousResultAsAWhole() throws Exception {
        Path out = dir.resolve("out");
        assertEquals(List.of("layer-1.png", "layer-2.png", "layer-3.png", "composite.png", "manifest.json"),
                write(out, 3));
        Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rwxr-x---"));
        write(out, 2);
        assertEquals(List.of("composite.png", "layer-1.png", "layer-2.png", "manifest.json"), names(out),
                "no stale layer-3.png");
        assertEquals("rwxr-x---", PosixFilePermissions.toString(Files.getPosixFilePermissions(out)));
        assertEquals(List.of("out"), names(dir), "nothing staged, kept or locked beside it");
        assertTrue(OutputFolder.isComplete(out));
    }

    @Test
    void otherFilesInTheFolderStopTheRunAndStay() throws Exception {
        Path out = dir.resolve("out");
        write(out, 2);
        Files.writeString(out.resolve("notes.txt"), "mine");
        IOException e = assertThrows(IOException.class, () -> OutputFolder.claim(out, 0));
        assertEquals(out.toRealPath() + " holds files that are not part of a previous Layered result (notes.txt); "
                + "nothing was changed: choose a new or empty folder, or remove them", e.getMessage());
        assertEquals("mine", Files.readString(out.resolve("notes.txt")));

        // a manifest that is not Layered's protects the folder too
        Path foreign = Files.createDirectories(dir.resolve("foreign"));
        Files.writeString(foreign.resolve("manifest.json"), "{\"files\": [\"a.png\"]}");
        Files.writeString(foreign.resolve("a.png"), "x");
        e = assertThrows(IOException.class, () -> OutputFolder.claim(foreign, 0));
        assertTrue(e.getMessage().contains("(a.png, manifest.json)"), e.getMessage());
        assertEquals(List.of("foreign", "out"), names(dir));
    }

    @Test
    void filesInTheWayAreNamed() throws Exception {
        Path file = Files.writeString(dir.resolve("taken"), "x");
        IOException e = assertThrows(IOException.class, () -> OutputFolder.claim(file, 0));
        assertEquals(file + " exists as a file; the output must be a folder (new, empty, or a previous result)",
                e.getMessage());
        e = assertThrows(IOException.class, () -> OutputFolder.claim(file.resolve("sub/out"), 0));
        assertEquals("cannot create " + file.resolve("sub") + ": a part of the path is a file, not a folder",
                e.getMessage());
        e = assertThrows(IOException.class, () -> OutputFolder.claim(dir.resolve("out"), Long.MAX_VALUE / 4));
        assertTrue(e.getMessage().startsWith("not enough free space for " + dir.resolve("out") + ": the result "
                + "needs about "), e.getMessage());
        assertEquals(List.of("taken"), names(dir));
    }

    @Test
    void aSecondClaimFailsAtOnceWhileTheFirstHoldsTheFolder() throws Exception {
        Path out = dir.resolve("out");
        try (OutputFolder first = OutputFolder.claim(out, 0)) {
            IOException e = assertThrows(IOException.class, () -> OutputFolder.claim(out, 0));
            assertEquals("another Layered run is writing " + out + " (it holds .out.lock); wait for it to finish or "
                    + "choose another output folder", e.getMessage());
        }
        write(out, 1);
        assertEquals(List.of("out"), names(dir));
    }

    @Test
    void anotherProcessHoldingTheFolderIsSeen() throws Exception {
        Path out = dir.resolve("out");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                HoldOutputFolder.class.getName(), out.toString()).redirectErrorStream(true).start();
        try {
            BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("claimed " + out, r.readLine());
            IOException e = assertThrows(IOException.class, () -> OutputFolder.claim(out, 0));
            assertTrue(e.getMessage().startsWith("another Layered run is writing " + out), e.getMessage());
            p.getOutputStream().close();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue());
        } finally {
            p.destroyForcibly();
        }
        write(out, 1);
        assertTrue(OutputFolder.isComplete(out));
    }

    @Test
    void whatAnInterruptedRunLeftIsClearedOrPutBack() throws Exception {
        Path out = dir.resolve("out");
        write(out, 2);
        // killed between the two renames: the previous result sits beside, the target is missing
        Files.move(out, dir.resolve(".out.old"));
        Files.createDirectories(dir.resolve(".out.part/junk"));
        try (OutputFolder f = OutputFolder.claim(out, 0)) {
            assertTrue(OutputFolder.isComplete(out), "the previous result is back before anything else happens");
        }
        assertEquals(List.of("out"), names(dir));

        // killed after the result was in place, before the lock file went: a batch that skips it tidies up
        Files.writeString(dir.resolve(".out.lock"), "stale");
        OutputFolder.clearLeftovers(out);
        assertEquals(List.of("out"), names(dir));
        try (OutputFolder holder = OutputFolder.claim(out, 0)) {
            OutputFolder.clearLeftovers(out); // held by a run: left alone
            assertTrue(Files.exists(dir.resolve(".out.lock")));
        }
    }

    @Test
    void aCancelledOrFailedWriteLeavesThePreviousResult() throws Exception {
        Path out = dir.resolve("out");
        write(out, 2);
        byte[] before = Files.readAllBytes(out.resolve("manifest.json"));
        Cancellation cancel = new Cancellation();
        cancel.cancel();
        try (OutputFolder f = OutputFolder.claim(out, 0)) {
            assertThrows(Cancellation.CancelledException.class,
                    () -> f.write(TestStacks.random(24, 16, 3, 9), PNG, manifest(), cancel));
        }
        LayerExporter full = new LayerExporter() { // a format whose writing hits a full disk
            @Override
            public String format() {
                return "ora";
            }

            @Override
            public String extension() {
                return "ora";
            }

            @Override
            public void write(LayerDocument document, Path folder) throws IOException {
                throw new IOException("write failed", new IOException("No space left on device"));
            }
        };
        try (OutputFolder f = OutputFolder.claim(out, 0)) {
            IOException e = assertThrows(IOException.class, () -> f.write(TestStacks.random(24, 16, 3, 9),
                    List.of(new PngStackWriter(), full), manifest(), new Cancellation()));
            assertEquals("cannot write layers.ora into " + out + ": disk full", e.getMessage());
        }
        assertArrayEquals(before, Files.readAllBytes(out.resolve("manifest.json")));
        assertEquals(List.of("composite.png", "layer-1.png", "layer-2.png", "manifest.json"), names(out));
        assertEquals(List.of("out"), names(dir));
    }
}
