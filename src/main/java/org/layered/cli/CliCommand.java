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

    int run(CliArgs args, PrintStream out, PrintStream err) throws Exception;
}
