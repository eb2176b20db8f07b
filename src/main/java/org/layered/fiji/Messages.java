package org.layered.fiji;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns errors from the engine and pipeline (written for the command line) into what ImageJ users read: one line,
 * command-line flags replaced by the option names, command-line advice replaced by the menu command that does the
 * same, and, for dialogs, wrapped into lines of a readable width.
 */
public final class Messages {
    /** The width a dialog message is wrapped to, in characters. */
    public static final int DIALOG_WIDTH = 72;

    /**
     * Command-line advice and flags in pipeline, store and engine messages, and what an ImageJ user does instead,
     * in the order they are replaced (longer patterns first).
     */
    private static final Map<String, String> REPLACEMENTS = new LinkedHashMap<>();

    static {
        REPLACEMENTS.put("'layered info --model (\\S+) --verify true' names the tensors that hold NaN or infinity",
                "download the model again with " + ModelDownload.MENU + " (it checks every file and fetches the "
                        + "damaged ones)");
        REPLACEMENTS.put("'layered fetch[^']*'", ModelDownload.MENU);
        REPLACEMENTS.put("'layered engine use default'", "Set Up GPU... (go back to the bundled CPU engine)");
        REPLACEMENTS.put("'layered engine (install|use)[^']*'", "Set Up GPU...");
        REPLACEMENTS.put("Set Up GPU\\.\\.\\. or Set Up GPU\\.\\.\\.", "Set Up GPU...");
        REPLACEMENTS.put("\\(Set Up GPU\\.\\.\\.\\) ", "");
        REPLACEMENTS.put("\\(or Set Up GPU\\.\\.\\.\\) ", "");
        REPLACEMENTS.put("\\(--prompt\\)", "(the 'prompt' option)");
        REPLACEMENTS.put("\\(--inputs\\)", "(the 'inputs' option)");
        REPLACEMENTS.put("with --inputs", "with the 'inputs' option");
        REPLACEMENTS.put("--negative-prompt", "the 'negative' option");
        REPLACEMENTS.put("--device cpu", "device=cpu");
        REPLACEMENTS.put("--cache DIR", "the 'cache' option");
        REPLACEMENTS.put("--prompt", "the 'prompt' option");
        REPLACEMENTS.put("--inputs", "the 'inputs' option");
    }

    private Messages() {}

    /** A one-line message for {@code e}: its own message when it has one, else its type. */
    public static String forImageJ(Throwable e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) {
            m = e.getClass().getSimpleName();
        } else if (!(e instanceof java.io.IOException) && !(e instanceof IllegalArgumentException)
                && !(e instanceof IllegalStateException) && !e.getClass().getName().startsWith("org.layered.")) {
            m = e.getClass().getSimpleName() + ": " + m;
        }
        return forImageJ(m);
    }

    /** {@code message} on one line with command-line advice and flags replaced by what ImageJ users do. */
    public static String forImageJ(String message) {
        String m = message == null ? "" : message;
        for (Map.Entry<String, String> r : REPLACEMENTS.entrySet()) {
            m = m.replaceAll(r.getKey(), java.util.regex.Matcher.quoteReplacement(r.getValue()));
        }
        return m.replaceAll("\\s*[\\r\\n]+\\s*", " ").strip();
    }

    /**
     * {@code message} for a dialog: {@link #forImageJ} and then wrapped at spaces into lines of at most
     * {@link #DIALOG_WIDTH} characters (a word longer than that, such as a path, gets a line of its own; a path is
     * also broken after a separator when it still does not fit).
     */
    public static String forDialog(String message) {
        return wrap(forImageJ(message), DIALOG_WIDTH);
    }

    /** {@code text} wrapped into lines of at most {@code width} characters, keeping its own line breaks. */
    public static String wrap(String text, int width) {
        List<String> lines = new ArrayList<>();
        for (String paragraph : text.split("\n", -1)) {
            StringBuilder line = new StringBuilder();
            for (String word : paragraph.split(" ")) {
                for (String piece : pieces(word, width)) {
                    if (line.length() > 0 && line.length() + 1 + piece.length() > width) {
                        lines.add(line.toString());
                        line.setLength(0);
                    }
                    if (line.length() > 0) {
                        line.append(' ');
                    }
                    line.append(piece);
                }
            }
            lines.add(line.toString());
        }
        return String.join("\n", lines);
    }

    /** A word longer than {@code width} cut after path separators (or hard) into pieces that fit. */
    private static List<String> pieces(String word, int width) {
        List<String> out = new ArrayList<>();
        String rest = word;
        while (rest.length() > width) {
            int cut = Math.max(rest.lastIndexOf('/', width - 1), rest.lastIndexOf('\\', width - 1));
            cut = cut > 0 ? cut + 1 : width;
            out.add(rest.substring(0, cut));
            rest = rest.substring(cut);
        }
        out.add(rest);
        return out;
    }
}
