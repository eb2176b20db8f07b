package org.layered.fiji;

import java.util.Map;

/** Turns errors from the engine and pipeline (written for the command line) into one line for ImageJ users. */
public final class Messages {
    /** Command-line flags named in pipeline messages, and the ImageJ option each corresponds to. */
    private static final Map<String, String> FLAGS = Map.of(
            "(--prompt)", "(the 'prompt' option)",
            "(--inputs)", "(the 'inputs' option)",
            "with --inputs", "with the 'inputs' option",
            "--negative-prompt", "the 'negative' option",
            "--device cpu", "device=cpu",
            "--cache DIR", "the 'cache' option",
            "--prompt", "the 'prompt' option",
            "--inputs", "the 'inputs' option");

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

    /** {@code message} on one line with command-line flags replaced by the ImageJ option names. */
    public static String forImageJ(String message) {
        String m = message == null ? "" : message;
        for (String flag : new String[] {"(--prompt)", "(--inputs)", "with --inputs", "--negative-prompt",
                "--device cpu", "--cache DIR", "--prompt", "--inputs"}) {
            m = m.replace(flag, FLAGS.get(flag));
        }
        return m.replaceAll("\\s*[\\r\\n]+\\s*", " ").strip();
    }
}
