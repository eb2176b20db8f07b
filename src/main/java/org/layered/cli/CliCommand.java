package org.layered.cli;

import java.io.PrintStream;
import java.util.Set;

/** One command of the command line; its name and flags are a contract once released. */
interface CliCommand {
    String name();

    /** One line for the command list. */
    String summary();

    /** Full help text. */
    String usage();

    /** The flags it accepts, without leading dashes; each takes a value. */
    Set<String> flags();

    /** Flags without a value ({@code --yes}); none by default. */
    default Set<String> switches() {
        return Set.of();
    }

    /** How many positional words it takes ({@code engine use DIR}); none by default. */
    default int words() {
        return 0;
    }

    int run(CliArgs args, PrintStream out, PrintStream err) throws Exception;
}
