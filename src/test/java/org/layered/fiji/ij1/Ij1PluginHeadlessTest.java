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
}
