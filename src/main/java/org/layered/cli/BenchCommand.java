package org.layered.cli;

import org.layered.bench.AutoLayersBench;
import org.layered.bench.LoadBench;
import org.layered.bench.PipelineBench;
import org.layered.bench.SoakBench;
import org.layered.engine.Precision;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/** {@code layered bench --suite NAME}: the benchmarks (speed and memory are measured here, not in unit tests). */
final class BenchCommand implements CliCommand {
    @Override
    public String name() {
        return "bench";
    }

    @Override
    public String summary() {
        return "run a benchmark (load, pipeline, soak, auto-layers)";
    }

    @Override
    public String usage() {
        return """
                usage: layered bench --suite load|pipeline|soak|auto-layers [--size-gib G] [--precision P] [--dir DIR]

                  --suite load    write synthetic bf16 and float32 checkpoints and load them each way (the old
                                  mapped route, positional reads, a Java copy out of a mapping) as bf16 and
                                  float32: seconds and ratios to the old route and to a sequential read
                  --suite pipeline  decompose a 704x576 image (2 layers, 3 steps, CFG) with a tiny and a larger
                                  random model, CFG's branches as two calls and as one batch, interleaved: seconds
                                  per stage and step, share outside the model's tensor work, layer difference
                  --suite soak    50 decompositions with the model kept loaded (as in Fiji), each saved in every
                                  format: the resident set after each run (anonymous and file-backed MiB)
                  --suite auto-layers  the automatic layer count on synthetic stacks of known structure and on
                                  8-layer decompositions of the tiny random model: layers kept, composite change
                  --size-gib G    checkpoint size for 'load' (default 1.0)
                  --precision P   float32|bf16 compute for 'pipeline' (default float32); bf16 is also compared
                                  with float32 (denoising time, 8-bit layer difference)
                  --dir DIR       scratch folder (default: the system temp folder)
                """;
    }

    @Override
    public Set<String> flags() {
        return Set.of("suite", "size-gib", "precision", "dir");
    }

    @Override
    public int run(CliArgs args, PrintStream out, PrintStream err) throws Exception {
        String suite = args.required("suite");
        Path dir = args.has("dir") ? args.path("dir") : Files.createTempDirectory("layered-bench");
        switch (suite) {
            case "load" -> LoadBench.run(Double.parseDouble(args.string("size-gib", "1.0")), dir, out);
            case "pipeline" -> PipelineBench.run(dir, precision(args), out);
            case "soak" -> SoakBench.run(dir, out);
            case "auto-layers" -> AutoLayersBench.run(dir, out);
            default -> throw new CliArgs.UsageException("unknown suite '" + suite
                    + "' (load, pipeline, soak, auto-layers)");
        }
        return 0;
    }

    private static Precision precision(CliArgs args) throws CliArgs.UsageException {
        Precision p = DecomposeCommand.precision(args);
        return p == null ? Precision.FLOAT32 : p;
    }
}
