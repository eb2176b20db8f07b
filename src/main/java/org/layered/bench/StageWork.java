package org.layered.bench;

import org.layered.engine.OpFlops;
import org.layered.pipeline.ProgressListener;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The matmul-class work ({@link OpFlops}) and wall time of each stage of one pipeline run, taken from the run's
 * stage events: what tells a stage that runs at the machine's matmul rate (compute-bound, nothing left to gain but
 * arithmetic) from one that does not. The run must execute on the listening thread, as {@code DecomposePipeline.run}
 * does.
 */
final class StageWork implements ProgressListener {
    /** FLOPs and seconds of one stage. */
    record Work(double flops, double seconds) {
        double rate() {
            return seconds > 0 ? flops / seconds : 0;
        }
    }

    private final Map<String, Work> stages = new LinkedHashMap<>();
    private String current;
    private double flops0;
    private long nanos0;

    @Override
    public void stage(String name) {
        finish();
        current = name;
        flops0 = OpFlops.ofThisThread();
        nanos0 = System.nanoTime();
    }

    /** Ends the stage in progress (call once the run has returned). */
    void finish() {
        if (current != null) {
            stages.put(current, new Work(OpFlops.ofThisThread() - flops0, (System.nanoTime() - nanos0) / 1e9));
            current = null;
        }
    }

    /** FLOPs of all stages. */
    double totalFlops() {
        return stages.values().stream().mapToDouble(Work::flops).sum();
    }

    /**
     * One line: each stage with matmul-class work, its GFLOP and GFLOP/s as a share of {@code matmulRate}, e.g.
     * {@code encode image 125 GFLOP at 160 GFLOP/s (84 %)}.
     */
    String describe(double matmulRate) {
        StringBuilder b = new StringBuilder();
        stages.forEach((name, w) -> {
            if (w.flops() >= 1e9) {
                b.append(b.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT,
                        "%s %.0f GFLOP at %.0f GFLOP/s (%.0f %%)", name, w.flops() / 1e9, w.rate() / 1e9,
                        100 * w.rate() / matmulRate));
            }
        });
        return b.toString();
    }
}
