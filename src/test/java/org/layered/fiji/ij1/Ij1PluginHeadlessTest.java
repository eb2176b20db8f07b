package org.layered.fiji.ij1;

import ij.Macro;
import ij.WindowManager;
import ij.ImagePlus;
import org.junit.jupiter.api.Test;
import org.layered.fiji.FijiFixtures;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The ImageJ 1.x plugins in this (headless) JVM, called the way {@code run("Decompose", options)} calls them:
 * options are read without a dialog, and every problem is one Log line, never a stack trace.
 */
class Ij1PluginHeadlessTest {
    /** Runs a plugin as a macro's run() would: on a "Run$_" thread with options; returns what it printed. */
    static String runAsMacro(Runnable plugin, ImagePlus current, String options) throws Exception {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        PrintStream saved = System.out;
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                WindowManager.setTempCurrentImage(current);
                Macro.setOptions(Thread.currentThread(), options);
                plugin.run();
            } catch (Throwable e) {
                failure.set(e);
            } finally {
                Macro.setOptions(Thread.currentThread(), null);
                WindowManager.setTempCurrentImage(null);
            }
        }, "Run$_test");
        System.setOut(new PrintStream(buffer, true, StandardCharsets.UTF_8));
        try {
            t.start();
            t.join(120_000);
        } finally {
            System.setOut(saved);
        }
        assertNull(failure.get(), "the plugin must not throw");
        return buffer.toString(StandardCharsets.UTF_8);
    }

    private static void assertOneLineError(String out, String expected) {
        assertTrue(out.contains("Layered: error: " + expected), out);
        assertFalse(out.contains("\tat ") || out.contains("Exception"), "no stack trace: " + out);
    }

    @Test
    void problemsAreOneLineInTheLog() throws Exception {
        DecomposePlugin p = new DecomposePlugin();
        assertOneLineError(runAsMacro(() -> p.run(""), null, "layers=2"), "no image: open an image first");
        ImagePlus img = FijiFixtures.rgb("x", 8, 8);
        assertOneLineError(runAsMacro(() -> p.run(""), img, "layers=0"), "layers must be between 1 and 20, got 0");
        assertOneLineError(runAsMacro(() -> p.run(""), img, "model=/no/such/model steps=1"),
                "model folder not found: /no/such/model");
        assertOneLineError(runAsMacro(() -> p.run(""), img, "model=[" + FijiFixtures.model() + "] formats=bmp "
                + "output=/tmp"), "unknown layer export format 'bmp'");
        assertOneLineError(runAsMacro(() -> p.run(""), new ImagePlus(), "steps=1"), "image 'null' has no pixel data");

        DecomposeFolderPlugin f = new DecomposeFolderPlugin();
        assertOneLineError(runAsMacro(() -> f.run(""), null, "output=/tmp/x"), "no folder of images");
        assertOneLineError(runAsMacro(() -> f.run(""), null, "folder=/no/such/dir output=/tmp/x"),
                "folder of images not found: /no/such/dir");
    }

    @Test
    void recomposeAndDecomposeLayerReadTheirKeys() throws Exception {
        org.layered.image.RgbaImage a = org.layered.testing.TinyModel.image(12, 9);
        ImagePlus hs = org.layered.export.TiffStackWriter.hyperstack(org.layered.export.LayerDocument.of(
                org.layered.layers.LayerStack.of(java.util.List.of(a, a), a), null), "x-layers");
        String out = runAsMacro(() -> new RecomposePlugin().run(""), hs, "layers=2 type=RGBA");
        assertTrue(out.contains("Layered: x-recomposed: 1 of 2 layers of x-layers (2) composited bottom to top"),
                out);
        assertOneLineError(runAsMacro(() -> new RecomposePlugin().run(""), hs, "layers=3"),
                "there is no layer 3: the result has 2 layers (1 = bottom)");
        assertOneLineError(runAsMacro(() -> new RecomposePlugin().run(""), hs, "type=CMYK"),
                "type must be RGB or RGBA, got 'CMYK'");
        assertOneLineError(runAsMacro(() -> new DecomposeLayerPlugin().run(""), FijiFixtures.rgb("p", 8, 8),
                "layer=1 steps=1"), "'p' is not a layer hyperstack");
        assertOneLineError(runAsMacro(() -> new DecomposeLayerPlugin().run(""), hs, "layer=5 steps=1"),
                "layer must be between 1 and 2 (1 = bottom), got 5");
    }

    @Test
    void everyCommandThatOpensADialogEndsInDotsAndTheOldNamesStay() throws Exception {
        String config;
        try (java.io.InputStream in = getClass().getResourceAsStream("/plugins.config")) {
            config = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        for (String entry : new String[] {"\"Decompose...\", org.layered.fiji.ij1.DecomposePlugin",
                "\"Decompose Layer...\", org.layered.fiji.ij1.DecomposeLayerPlugin",
                "\"Decompose Folder...\", org.layered.fiji.ij1.DecomposeFolderPlugin",
                "\"Recompose...\", org.layered.fiji.ij1.RecomposePlugin", "\"Unload Model\", ",
                "Old command names, \"Decompose\", org.layered.fiji.ij1.DecomposePlugin",
                "Old command names, \"Decompose Folder\", org.layered.fiji.ij1.DecomposeFolderPlugin"}) {
            assertTrue(config.contains(entry), entry + " in\n" + config);
        }
    }
}
