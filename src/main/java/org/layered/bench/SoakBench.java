package org.layered.bench;

import com.google.gson.JsonObject;
import org.layered.engine.Cancellation;
import org.layered.engine.ComputeDevice;
import org.layered.engine.DeviceSpec;
import org.layered.engine.Ops;
import org.layered.engine.Precision;
import org.layered.engine.TensorScope;
import org.layered.export.LayerExporters;
import org.layered.export.Manifest;
import org.layered.export.OutputFolder;
import org.layered.image.RgbaImage;
import org.layered.image.TestPattern;
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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The soak: 50 decompositions in one process with the model kept loaded, as Fiji keeps it between runs, each
 * saved in every format through {@link OutputFolder} (replacing the previous result). Prints after each run the
 * resident set — anonymous memory (Java heap and native tensor memory: what a leak grows) and file-backed (the
 * mapped weights) — and the Java heap after a collection (committed, used), so that native growth (anonymous minus
 * committed heap) can be told from the heap settling; then compares the medians of the first and the last ten
 * runs. Tiny random model, 704x576 RGBA input, 2 layers, 3 steps of true CFG, given embeddings.
 */
public final class SoakBench {
    public static final int RUNS = 50;

    private SoakBench() {}

    public static void run(Path scratch, PrintStream out) throws IOException {
        Path model = Files.createTempDirectory(scratch, "soak-model");
        PipelineBench.buildTiny(model);
        Path results = Files.createDirectories(scratch.resolve("soak-out"));
        ComputeDevice cpu = ComputeDevice.CPU;
        RgbaImage image = TestPattern.rgba(704, 576);
        var exporters = LayerExporters.forList("png,ora,psd,tiff");
        out.printf(Locale.ROOT, "soak: %d decompositions, model loaded once, 704x576 RGBA, 2 layers, 3 steps, CFG 4, "
                + "saved as png,ora,psd,tiff; load %s%n", RUNS, PipelineBench.loadAverage());
        out.println("run  seconds  rss_MiB  anon_MiB  file_MiB  heap_committed_MiB  heap_used_MiB  native_MiB");
        long[] anon = new long[RUNS];
        long[] nativeMiB = new long[RUNS];
        Runtime rt = Runtime.getRuntime();
        try (DecomposePipeline p = DecomposePipeline.open(model, cpu, Precision.FLOAT32, null)) {
            for (int r = 0; r < RUNS; r++) {
                long t0 = System.nanoTime();
                try (TensorScope scope = TensorScope.open()) {
                    int text = PipelineBench.TINY_TEXT;
                    GivenInputs given = new GivenInputs(
                            new TextConditioning(Ops.seededNormal(1, new long[] {1, 6, text}, cpu), null),
                            new TextConditioning(Ops.seededNormal(2, new long[] {1, 4, text}, cpu), null), null);
                    DecomposeSettings settings = new DecomposeSettings(2, 640, 3, 4.0, true, (long) r, null, null,
                            DeviceSpec.CPU);
                    Decomposition d = p.run(image, settings, given, ProgressListener.NONE, new Cancellation());
                    try (OutputFolder folder = OutputFolder.claim(results.resolve("result"), 0)) {
                        JsonObject m = Manifest.of(d, model, "cpu", "FLOAT32", List.of("Layer 1", "Layer 2"));
                        folder.write(d.stack(), exporters, m, new Cancellation());
                    }
                }
                double seconds = (System.nanoTime() - t0) / 1e9;
                System.gc();
                long committed = rt.totalMemory() >> 20;
                long used = (rt.totalMemory() - rt.freeMemory()) >> 20;
                anon[r] = ProcessMemory.anonMiB();
                nativeMiB[r] = anon[r] - committed;
                out.printf(Locale.ROOT, "%3d  %7.2f  %7d  %8d  %8d  %18d  %13d  %10d%n", r + 1, seconds,
                        ProcessMemory.rssMiB(), anon[r], ProcessMemory.fileMiB(), committed, used, nativeMiB[r]);
            }
        }
        report(out, "anonymous RSS", anon);
        report(out, "anonymous RSS outside the Java heap", nativeMiB);
        out.printf(Locale.ROOT, "peak RSS %d MiB%n", ProcessMemory.peakRssMiB());
    }

    private static void report(PrintStream out, String what, long[] series) {
        long first = median(Arrays.copyOfRange(series, 0, 10));
        long last = median(Arrays.copyOfRange(series, RUNS - 10, RUNS));
        out.printf(Locale.ROOT, "%s, median of runs 1-10: %d MiB, of runs %d-%d: %d MiB (%+d MiB, ratio %.3f)%n",
                what, first, RUNS - 9, RUNS, last, last - first, (double) last / first);
    }

    private static long median(long[] v) {
        List<Long> s = new ArrayList<>();
        for (long x : v) {
            s.add(x);
        }
        s.sort(Long::compare);
        return s.get(s.size() / 2);
    }
}
