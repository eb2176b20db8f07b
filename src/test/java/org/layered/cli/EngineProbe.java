package org.layered.cli;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Run in a child JVM by {@link EngineCommandTest}: {@code layered engine info}, then a decomposition of the tiny
 * model (engine start compiles the op library, the run uses it), then the libtorch files mapped into this process.
 * Arguments: decompose's arguments.
 */
public final class EngineProbe {
    private EngineProbe() {}

    public static void main(String[] args) throws Exception {
        LayeredMain main = new LayeredMain();
        int info = main.run(new String[] {"engine", "info"}, System.out, System.err);
        System.out.println("ENGINE-INFO-EXIT " + info);
        String[] decompose = new String[args.length + 1];
        decompose[0] = "decompose";
        System.arraycopy(args, 0, decompose, 1, args.length);
        int run = main.run(decompose, System.out, System.err);
        System.out.println("DECOMPOSE-EXIT " + run);
        for (String line : Files.readAllLines(Path.of("/proc/self/maps"), StandardCharsets.UTF_8)) {
            if (line.endsWith("/libtorch_cpu.so")) {
                System.out.println("MAPPED " + line.substring(line.indexOf('/')));
                break;
            }
        }
        System.exit(info == 0 && run == 0 ? 0 : 1);
    }
}
