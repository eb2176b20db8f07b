package org.layered.fiji.ij1;

import ij.IJ;
import ij.Macro;
import ij.Prefs;
import ij.plugin.frame.Recorder;
import org.layered.engine.ContextClassLoader;
import org.layered.fiji.Messages;

import java.awt.GraphicsEnvironment;

/** What the ImageJ 1.x plugins share: class loader, error reporting, option persistence, macro recording. */
final class Ij1Support {
    private Ij1Support() {}

    /**
     * Runs {@code body} with the thread context class loader set to the plugin's loader (ImageJ loads plugins
     * through its own class loader; DJL finds its engine through the context loader) and restores it afterwards.
     */
    static void withPluginClassLoader(Class<?> plugin, Runnable body) {
        ContextClassLoader.run(plugin, body);
    }

    /** Whether a dialog can be shown: no macro options and a display. */
    static boolean interactive(String macroOptions) {
        return macroOptions == null && !GraphicsEnvironment.isHeadless();
    }

    /**
     * Reports an error the ImageJ way without a stack trace: a line in the Log, and a dialog when ImageJ's window
     * is up (which also aborts a running macro). Without a window (headless, {@code -batch}) a dialog would block
     * or fail, so the Log line (stdout) is all, and the macro is aborted.
     */
    static void error(String message) {
        String m = Messages.forImageJ(message);
        IJ.log("Layered: error: " + m);
        IJ.showStatus("Layered: " + m);
        if (IJ.getInstance() != null && !GraphicsEnvironment.isHeadless()) {
            IJ.error("Layered", Messages.wrap(m, Messages.DIALOG_WIDTH));
        } else {
            Macro.abort();
        }
    }

    /** An unexpected failure: one line for the user, the stack trace only in debug mode. */
    static void unexpected(Throwable t) {
        if (IJ.debugMode) {
            IJ.handleException(t);
        }
        error("unexpected error: " + Messages.forImageJ(t));
    }

    static String load(String key) {
        return Prefs.get("layered." + key, "");
    }

    static void save(String key, String macroOptions) {
        Prefs.set("layered." + key, macroOptions);
    }

    /**
     * Replaces what the dialog recorded (label-derived keys) with the canonical option string, so the recorded
     * {@code run(...)} line has exactly the keys the macro reader takes. Does nothing when not recording.
     */
    static void record(String macroOptions) {
        if (!Recorder.record || Recorder.getCommand() == null) {
            return;
        }
        Recorder.resetCommandOptions();
        org.layered.fiji.MacroOptions o = org.layered.fiji.MacroOptions.parse(macroOptions);
        for (String key : o.keys()) {
            String value = o.string(key, "");
            Recorder.recordOption(key, value.isEmpty() ? "[]" : value);
        }
    }
}
