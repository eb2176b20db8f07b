package org.layered.fiji.scijava;

import org.layered.fiji.Messages;
import org.scijava.app.StatusService;
import org.scijava.log.LogService;
import org.scijava.ui.DialogPrompt;
import org.scijava.ui.UIService;

import java.awt.GraphicsEnvironment;

/** How the SciJava commands report a failure: one line in the log and the status, a dialog when someone sees it. */
final class Failures {
    private Failures() {}

    /** Whether nobody sees a dialog. */
    static boolean headless(UIService ui) {
        return GraphicsEnvironment.isHeadless() || ui == null || ui.isHeadless();
    }

    /** Reports {@code message} without a stack trace; returns the one line to cancel the command with. */
    static String report(String message, LogService log, StatusService status, UIService ui) {
        String m = Messages.forImageJ(message);
        log.error("Layered: " + m);
        if (status != null) {
            status.warn("Layered: " + m);
        }
        if (!headless(ui)) {
            ui.showDialog(Messages.wrap("Layered: " + m, Messages.DIALOG_WIDTH),
                    DialogPrompt.MessageType.ERROR_MESSAGE);
        }
        return m;
    }
}
