package org.layered.bench;

import org.layered.engine.Cancellation;
import org.layered.engine.ComputeDevice;
import org.layered.engine.DeviceSpec;
import org.layered.engine.Ops;
import org.layered.engine.Precision;
import org.layered.engine.TensorScope;
import org.layered.image.RgbaImage;
import org.layered.image.TestPattern;
import org.layered.layers.AutoLayerCount;
import org.layered.layers.Compositor;
import org.layered.pipeline.DecomposePipeline;
import org.layered.pipeline.DecomposeSettings;
import org.layered.pipeline.Decomposition;
import org.layered.pipeline.GivenInputs;
import org.layered.pipeline.ProgressListener;
import org.layered.pipeline.TextConditioning;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * What the automatic layer count does ({@link AutoLayerCount}): on the synthetic stacks of known structure
 * ({@link SyntheticStacks}: the layers kept against the ones a person would keep, and how far the composite moved)
 * and on decompositions of the tiny random model at 8 layers (the layers kept, dropped and merged, and the
 * composite error against the input before and after). The time the count takes is printed beside the run's.
 */
public final class AutoLayersBench {
    private AutoLayersBench() {}

    public static void run(Path scratch, PrintStream out) throws IOException {
        out.printf(Locale.ROOT, "automatic layer count: drop below %.1f levels and %.1f%% visible area, merge "
                + "neighbours with coverage IoU >= %.2f and colour distance <= %.0f levels; load %s%n",
                AutoLayerCount.MIN_CONTRIBUTION, 100 * AutoLayerCount.MIN_VISIBLE_AREA, AutoLayerCount.MERGE_MIN_IOU,
                AutoLayerCount.MERGE_MAX_COLOUR, PipelineBench.loadAverage());
        out.println("synthetic stacks (" + SyntheticStacks.W + "x" + SyntheticStacks.H + "):");
        for (SyntheticStacks.Case c : SyntheticStacks.cases()) {
            long t0 = System.nanoTime();
            AutoLayerCount.Result r = AutoLayerCount.reduce(c.layers());
            double s = (System.nanoTime() - t0) / 1e9;
            List<Integer> kept = r.sources().stream().map(x -> x.get(0)).toList();
            double moved = Compositor.error(Compositor.over(r.layers()), Compositor.over(c.layers())).meanAbs();
            out.printf(Locale.ROOT, "  %-50s %d -> %d layers (expected %d: %s), composite moved %.3f levels, "
                    + "%.2f s; padding: %s%n", c.name(), c.layers().size(), r.layers().size(), c.expected().size(),
                    kept.equals(c.expected()) ? "as expected" : "kept " + kept + ", expected " + c.expected(),
                    moved, s, c.padding());
        }
        Path model = Files.createTempDirectory(scratch, "auto-layers-model");
        PipelineBench.buildTiny(model);
        ComputeDevice cpu = ComputeDevice.CPU;
        int max = AutoLayerCount.DEFAULT_MAX_LAYERS;
        out.printf(Locale.ROOT, "tiny random model, %d layers, 3 steps, CFG 4, 3 seeds per image:%n", max);
        try (DecomposePipeline p = DecomposePipeline.open(model, cpu, Precision.FLOAT32, null)) {
            for (int[] size : new int[][] {{704, 576}, {512, 512}}) {
                RgbaImage image = TestPattern.rgba(size[0], size[1]);
                for (long seed = 1; seed <= 3; seed++) {
                    try (TensorScope scope = TensorScope.open()) {
                        int text = PipelineBench.TINY_TEXT;
                        GivenInputs given = new GivenInputs(
                                new TextConditioning(Ops.seededNormal(1, new long[] {1, 6, text}, cpu), null),
                                new TextConditioning(Ops.seededNormal(2, new long[] {1, 4, text}, cpu), null), null);
                        DecomposeSettings settings = new DecomposeSettings(max, 640, 3, 4.0, true, seed, null, null,
                                DeviceSpec.CPU);
                        long t0 = System.nanoTime();
                        Decomposition d = p.run(image, settings, given, ProgressListener.NONE, new Cancellation());
                        double run = (System.nanoTime() - t0) / 1e9;
                        t0 = System.nanoTime();
                        AutoLayerCount.Result r = AutoLayerCount.reduce(d.stack().layers());
                        double count = (System.nanoTime() - t0) / 1e9;
                        long dropped = r.decisions().stream()
                                .filter(x -> x.action() == AutoLayerCount.Action.DROPPED).count();
                        long merged = r.decisions().stream()
                                .filter(x -> x.action() == AutoLayerCount.Action.MERGED).count();
                        double before = d.stack().compositeError().meanAbs();
                        double after = Compositor.error(Compositor.over(r.layers()), d.input()).meanAbs();
                        out.printf(Locale.ROOT, "  %dx%d seed %d: %d -> %d layers (%d dropped, %d merged), error vs "
                                + "input %.2f -> %.2f levels; count %.2f s of a %.1f s run%n", size[0], size[1],
                                seed, max, r.layers().size(), dropped, merged, before, after, count, run);
                    }
                }
            }
        }
    }
}
