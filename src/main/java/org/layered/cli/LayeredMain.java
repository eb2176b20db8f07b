package org.layered.cli;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code java -jar target/layered.jar <command> ...}: the command-line entry point. Each command is a
 * {@link CliCommand}; errors are one clear line on stderr and a non-zero exit status.
 */
public final class LayeredMain {
    private final Map<String, CliCommand> commands = new LinkedHashMap<>();

    LayeredMain() {
        add(new InfoCommand());
        add(new FetchCommand());
        add(new DecomposeCommand());
        add(new RecomposeCommand());
        add(new BenchCommand());
        add(new CaptionCommand());
        add(new EngineCommand());
        add(new PlanCommand());
    }

    private void add(CliCommand c) {
        commands.put(c.name(), c);
    }

    /** For tests: the same command line with one command configured differently. */
    LayeredMain with(CliCommand c) {
        add(c);
        return this;
    }

    public static void main(String[] args) {
        quietLogging();
        int code = new LayeredMain().run(args, System.out, System.err);
        System.exit(code);
    }

    /**
     * The command line's SLF4J binding is slf4j-simple (in {@code target/lib/} only, so that Fiji keeps its own):
     * warnings and errors of the libraries on stderr, their info chatter off, and DJL's "failed to detect GPU
     * count" off (a CPU machine with CUDA runtime libraries but no driver; {@code --device} reports CUDA problems
     * itself). Settings given with {@code -D} win. Must run before the first logger is created.
     */
    private static void quietLogging() {
        String prefix = "org.slf4j.simpleLogger.";
        for (String[] kv : new String[][] {{"defaultLogLevel", "warn"}, {"log.ai.djl.util.cuda.CudaUtils", "error"},
                {"showThreadName", "false"}}) {
            if (System.getProperty(prefix + kv[0]) == null) {
                System.setProperty(prefix + kv[0], kv[1]);
            }
        }
    }

    /** Runs one command line; returns the exit status (0 ok, 1 failure, 2 usage error). */
    int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
            if (args.length > 1 && commands.containsKey(args[1])) {
                out.print(commands.get(args[1]).usage());
            } else {
                out.print(usage());
            }
            return args.length == 0 ? 2 : 0;
        }
        CliCommand c = commands.get(args[0]);
        if (c == null) {
            err.println("layered: unknown command '" + args[0] + "'. Commands: " + String.join(", ",
                    commands.keySet()) + ". See 'layered --help'.");
            return 2;
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        if (Arrays.asList(rest).contains("--help")) {
            out.print(c.usage());
            return 0;
        }
        try {
            return c.run(CliArgs.parse(rest, c.flags(), c.switches(), c.words()), out, err);
        } catch (CliArgs.UsageException e) {
            err.println("layered " + c.name() + ": " + e.getMessage() + " (see 'layered " + c.name() + " --help')");
            return 2;
        } catch (Exception e) {
            err.println("layered " + c.name() + ": " + oneLine(e));
            return 1;
        } catch (OutOfMemoryError e) {
            err.println("layered " + c.name() + ": out of Java heap memory; give Java more (java -Xmx16g -jar "
                    + "layered.jar ...) or use a smaller input");
            return 1;
        }
    }

    static String oneLine(Throwable e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) {
            m = e.getClass().getSimpleName();
        }
        return m.replace('\n', ' ').trim();
    }

    String usage() {
        StringBuilder b = new StringBuilder();
        b.append("Layered: decompose an image into RGBA layers with Qwen-Image-Layered.\n\n");
        b.append("usage: java -jar layered.jar <command> [options]\n\ncommands:\n");
        for (CliCommand c : commands.values()) {
            b.append(String.format("  %-10s %s%n", c.name(), c.summary()));
        }
        b.append("\n'layered <command> --help' describes a command's options.\n");
        return b.toString();
    }
}
