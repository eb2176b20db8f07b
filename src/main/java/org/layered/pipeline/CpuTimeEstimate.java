package org.layered.pipeline;

import org.layered.engine.ComputeDevice;
import org.layered.engine.MatmulThroughput;
import org.layered.engine.Precision;
import org.layered.engine.TorchEngine;
import org.layered.model.transformer.TransformerConfig;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * About how long a decomposition would take on this machine's CPU: the run's transformer FLOPs ({@link RunFlops}) at
 * the rate this machine's best matmul in the run's precision reaches with libtorch's default BLAS
 * ({@link MatmulThroughput}). Real runs differ either way: slower where the attention dominates (its kernel runs at
 * or below that rate) and faster where the linear layers run on oneDNN and it outruns the BLAS (one released-width
 * block in float32 at 1.47x the matmul rate on an AMD Zen 5). Front ends warn before a run that would take longer than
 * {@link #WARN_SECONDS}: a model of released size on a CPU takes days.
 *
 * @param flops   the run's transformer work
 * @param rate    FLOP/s of the matmul measured here
 * @param seconds the estimate
 */
public record CpuTimeEstimate(RunFlops flops, double rate, double seconds) {
    /** Runs estimated above this are worth a warning (and, interactively, a question). */
    public static final double WARN_SECONDS = 600;
    /** No CPU reaches this matmul rate, so a run below {@code WARN_SECONDS} at it needs no measurement. */
    private static final double CPU_RATE_CEILING = 2e13;

    /**
     * The estimate for a run of {@code settings} on a {@code width x height} image with the model in
     * {@code modelDir}, or null when the run is too small to matter (then nothing is measured).
     *
     * @throws IOException when the transformer's config cannot be read
     */
    public static CpuTimeEstimate of(Path modelDir, int width, int height, DecomposeSettings settings)
            throws IOException {
        return of(modelDir, width, height, settings, Precision.FLOAT32);
    }

    /** As {@link #of(Path, int, int, DecomposeSettings)}, at the rate of {@code precision}'s matmul. */
    public static CpuTimeEstimate of(Path modelDir, int width, int height, DecomposeSettings settings,
            Precision precision) throws IOException {
        TransformerConfig c = TransformerConfig.read(modelDir.resolve("transformer"));
        RunFlops f = RunFlops.of(c, ResolutionBucket.forImage(settings.resolution(), width, height), settings,
                RunFlops.TYPICAL_TEXT_TOKENS);
        if (f.seconds(CPU_RATE_CEILING) < WARN_SECONDS) {
            return null;
        }
        double rate = TorchEngine.get().matmulThroughput(ComputeDevice.CPU, precision).bestFlopsPerSec();
        return new CpuTimeEstimate(f, rate, f.seconds(rate));
    }

    /** Whether the run is long enough to warn about. */
    public boolean slow() {
        return seconds >= WARN_SECONDS;
    }

    /** The warning: both numbers, the time, and where a GPU is set up. */
    public String message() {
        return String.format(Locale.ROOT, "this run would take about %s on the CPU: %s of transformer work at the "
                + "%.0f GFLOP/s this machine's matmul reaches. A CUDA GPU is set up with "
                + "Plugins > Layered > Set Up GPU... or 'layered engine install'", duration(seconds), flops.describe(),
                rate / 1e9);
    }

    /** E.g. {@code 3.2 days}, {@code 7.5 hours}, {@code 12 minutes}. */
    static String duration(double s) {
        if (s >= 2 * 86400) {
            return String.format(Locale.ROOT, "%.1f days", s / 86400);
        }
        if (s >= 2 * 3600) {
            return String.format(Locale.ROOT, "%.1f hours", s / 3600);
        }
        return String.format(Locale.ROOT, "%.0f minutes", Math.ceil(s / 60));
    }
}
