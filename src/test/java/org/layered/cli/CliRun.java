package org.layered.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** One in-process command line run: exit status and what it printed. */
record CliRun(int code, String out, String err) {
    static CliRun of(String... args) {
        return with(null, args);
    }

    /** The command line with {@code command} (configured for a test) in place of the default one of its name. */
    static CliRun with(CliCommand command, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        LayeredMain main = command == null ? new LayeredMain() : new LayeredMain().with(command);
        int code = main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new CliRun(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
