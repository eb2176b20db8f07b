package org.layered.bench;

import org.layered.engine.Cancellation;
import org.layered.engine.ComputeDevice;
import org.layered.engine.DeviceSpec;
import org.layered.engine.MatmulThroughput;
import org.layered.engine.Ops;
import org.layered.engine.Precision;
import org.layered.engine.Tensor;
import org.layered.engine.TensorScope;
import org.layered.engine.TorchEngine;
import org.layered.image.RgbaImage;
import org.layered.image.TestPattern;
import org.layered.layers.LayerDifference;
import org.layered.model.transformer.ForwardObserver;
import org.layered.model.transformer.FrameShape;
import org.layered.model.transformer.OpProfile;
import org.layered.model.transformer.QwenImageTransformer;
import org.layered.model.transformer.TransformerConfig;
import org.layered.model.vae.VaeConfig;
import org.layered.pipeline.DecomposePipeline;
import org.layered.pipeline.DecomposeSettings;
import org.layered.pipeline.DecompositionPlan;
import org.layered.pipeline.DecompositionPlanner;
import org.layered.pipeline.Decomposition;
import org.layered.pipeline.GivenInputs;
import org.layered.pipeline.GuidanceBatching;
import org.layered.pipeline.MemoryMode;
import org.layered.pipeline.ProgressListener;
import org.layered.pipeline.ResolutionBucket;
import org.layered.pipeline.TextConditioning;
import org.layered.weights.config.ModelIndex;
import org.layered.weights.residency.WeightFormat;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * End-to-end pipeline benchmark on random models built here: the tiny golden-sized model and a larger one, each
 * decomposing a 704x576 RGBA image into 2 layers with 3 steps of true CFG (given embeddings). Prints seconds per
 * stage and per step, and the share of the run spent outside the model's tensor work — the pipeline's own
 * overhead: packing, scheduler, guidance, image conversion, compositing — estimated as total minus the VAE stages
 * minus the transformer forwards (one forward timed separately on the same shapes, times the forward count). Each
 * model runs twice in each way of computing CFG's two predictions ({@link GuidanceBatching}: two transformer calls
 * per step, or one call on a batch of two), interleaved, and the largest 8-bit difference between their layers is
 * printed. Each stage's matmul-class work ({@link StageWork}) is printed with its rate as a share of the 1024^3 matmul
 * rate measured in the same process (libtorch's default BLAS), and the run's time is set against a reference: all of
 * its work at that rate, the transformer's attention at the rate libtorch's fused attention reaches in the forward
 * timed alone (the kernel upstream uses too). Stages above 100 % run on oneDNN, which outruns the default BLAS on
 * some CPUs ({@link org.layered.engine.LinearKernel}). In a precision other than float32 the same run in float32
 * follows: the denoising time ratio and the 8-bit difference of the layers (the error of the reduced precision).
 */
public final class PipelineBench {
    private static final int LAYERS = 2;
    private static final int STEPS = 3;
    private static final int ROUNDS = 2;

    private PipelineBench() {}

    private record Sizes(String name, VaeConfig vae, TransformerConfig transformer) {}

    /** The tiny random model of the golden sizes (VAE base 8, DiT 2 blocks x 2x32 heads, text 48). */
    private static Sizes tiny() {
        return new Sizes("tiny (golden sizes: VAE base 8, DiT 2 blocks x 2x32 heads)",
                vae(VaeConfig.releasedLayered(), 8), new TransformerConfig(2, 64, 16, 2, 32, 2, 48,
                new int[] {8, 12, 12}, true));
    }

    /** Writes the tiny random model into {@code dir}; its text embeddings are {@link #TINY_TEXT} wide. */
    static void buildTiny(Path dir) throws IOException {
        build(tiny(), dir);
    }

    static final int TINY_TEXT = 48;

    /** The larger random model (VAE base 32, DiT 4 blocks x 4x64 heads, text 256). */
    private static Sizes larger() {
        return new Sizes("larger (VAE base 32, DiT 4 blocks x 4x64 heads, text 256)",
                vae(VaeConfig.releasedLayered(), 32), new TransformerConfig(2, 64, 16, 4, 64, 4, 256,
                new int[] {16, 24, 24}, true));
    }

    /** Writes the larger random model into {@code dir}; its text embeddings are 256 wide. */
    public static void buildLarger(Path dir) throws IOException {
        build(larger(), dir);
    }

    /** Runs in float32, the CPU default. */
    public static void run(Path scratch, PrintStream out) throws IOException {
        run(scratch, Precision.FLOAT32, out);
    }

    public static void run(Path scratch, Precision precision, PrintStream out) throws IOException {
        Sizes tiny = tiny();
        Sizes larger = larger();
        out.printf(Locale.ROOT, "704x576 RGBA, %d layers, %d steps, CFG 4 normalised, CPU %s (%s); load %s%n",
                LAYERS, STEPS, precision.key(), TorchEngine.get().linearKernelNote(), loadAverage());
        for (Sizes s : new Sizes[] {tiny, larger}) {
            Path dir = Files.createTempDirectory(scratch, "pipeline-bench");
            build(s, dir);
            measure(s, dir, precision, out);
        }
        out.printf(Locale.ROOT, "load at the end %s%n", loadAverage());
    }

    private static VaeConfig vae(VaeConfig r, int baseDim) {
        return new VaeConfig(baseDim, r.zDim(), r.dimMult(), r.numResBlocks(), r.attnScales(),
                r.temporalDownsample(), r.inputChannels(), r.latentsMean(), r.latentsStd());
    }

    private static void build(Sizes s, Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("model_index.json"), """
                {"_class_name": "QwenImageLayeredPipeline",
                 "scheduler": ["diffusers", "FlowMatchEulerDiscreteScheduler"],
                 "vae": ["diffusers", "AutoencoderKLQwenImage"],
                 "transformer": ["diffusers", "QwenImageTransformer2DModel"]}
                """);
        Path vae = Files.createDirectories(dir.resolve("vae"));
        VaeBench.writeRandomCheckpoint(s.vae(), vae, 1);
        TransformerBench.writeRandomCheckpoint(s.transformer(), Files.createDirectories(dir.resolve("transformer")),
                2);
        Files.writeString(Files.createDirectories(dir.resolve("scheduler")).resolve("scheduler_config.json"), """
                {"_class_name": "FlowMatchEulerDiscreteScheduler", "num_train_timesteps": 1000, "shift": 1.0,
                 "use_dynamic_shifting": true, "time_shift_type": "linear", "shift_terminal": false,
                 "base_shift": 0.5, "max_shift": 0.9, "base_image_seq_len": 256, "max_image_seq_len": 8192,
                 "invert_sigmas": false, "stochastic_sampling": false, "use_karras_sigmas": false,
                 "use_exponential_sigmas": false, "use_beta_sigmas": false}
                """);
    }

    private static void measure(Sizes s, Path dir, Precision precision, PrintStream out) throws IOException {
        ComputeDevice cpu = ComputeDevice.CPU;
        int text = s.transformer().jointAttentionDim();
        ResolutionBucket bucket = ResolutionBucket.forImage(640, 704, 576);
        RgbaImage image = TestPattern.rgba(704, 576);
        DecomposeSettings settings = new DecomposeSettings(LAYERS, 640, STEPS, 4.0, true, 7L, null, null,
                DeviceSpec.CPU);
        // planned as 'decompose' plans (the VAE's strips, the weights' residency) on this machine
        DecompositionPlan plan = DecompositionPlanner.plan(DecompositionPlanner.ModelConfigs.of(ModelIndex.read(dir)),
                DecompositionPlanner.Request.of(settings, 704, 576, true, WeightFormat.BF16, MemoryMode.AUTO, null),
                DecompositionPlanner.Machine.of(cpu, null));
        out.println(s.name() + "; " + plan.lines().stream().filter(l -> l.startsWith("VAE convolutions"))
                .findFirst().orElseThrow());
        try (DecomposePipeline p = DecomposePipeline.open(dir, cpu, precision, plan, null);
             TensorScope scope = TensorScope.open()) {
            GivenInputs given = new GivenInputs(
                    new TextConditioning(Ops.seededNormal(1, new long[] {1, 6, text}, cpu), null),
                    new TextConditioning(Ops.seededNormal(2, new long[] {1, 4, text}, cpu), null), null);
            MatmulThroughput matmul = MatmulThroughput.measure(cpu, precision, 1024, 2, 5);
            ForwardTiming forward = oneForward(dir, s.transformer(), bucket, text, precision);
            // the two ways of computing CFG's two predictions, interleaved
            Map<GuidanceBatching, Decomposition> last = new EnumMap<>(GuidanceBatching.class);
            for (int round = 1; round <= ROUNDS; round++) {
                for (GuidanceBatching mode : List.of(GuidanceBatching.TWO_CALLS, GuidanceBatching.ONE_BATCH)) {
                    p.guidanceBatching(mode);
                    long created = Tensor.createdCount();
                    long t0 = System.nanoTime();
                    StageWork work = new StageWork();
                    Decomposition d = p.run(image, settings, given, work, new Cancellation());
                    double total = (System.nanoTime() - t0) / 1e9;
                    work.finish();
                    long tensors = Tensor.createdCount() - created;
                    last.put(mode, d);
                    Map<String, Double> st = d.seconds();
                    out.printf(Locale.ROOT, "  round %d, %-9s total %6.2f s; per step %.2f s; %d tensors created; "
                            + "stages %s%n", round, mode == GuidanceBatching.ONE_BATCH ? "one batch" : "two calls",
                            total, st.getOrDefault("denoise", 0.0) / STEPS, tensors, rounded(st));
                    if (mode == GuidanceBatching.TWO_CALLS) {
                        int forwards = STEPS * (d.cfgActive() ? 2 : 1);
                        double model = st.getOrDefault("encode image", 0.0) + st.getOrDefault("decode layers", 0.0)
                                + forwards * forward.seconds();
                        out.printf(Locale.ROOT, "    %d transformer forwards of %.2f s (timed alone); outside the "
                                + "model's tensor work: %.1f %% (%.2f s)%n", forwards, forward.seconds(),
                                100 * Math.max(0, total - model) / total, Math.max(0, total - model));
                        printReference(work, forwards, forward, matmul, total, out);
                    }
                }
            }
            out.printf(Locale.ROOT, "  one batch vs two calls: layers differ by at most %d of 255 (8-bit), peak RSS %d "
                    + "MiB%n", difference(last.get(GuidanceBatching.ONE_BATCH),
                    last.get(GuidanceBatching.TWO_CALLS)).max(), ProcessMemory.peakRssMiB());
            if (precision != Precision.FLOAT32) {
                compareWithFloat32(dir, image, settings, given, precision, last.get(GuidanceBatching.ONE_BATCH), out);
            }
        }
    }

    /**
     * The same run in float32 (one batch, twice: the second timed): its time against this precision's last
     * one-batch run, and how far this precision's layers are from float32's.
     */
    private static void compareWithFloat32(Path dir, RgbaImage image, DecomposeSettings settings, GivenInputs given,
            Precision precision, Decomposition reduced, PrintStream out) throws IOException {
        try (DecomposePipeline p = DecomposePipeline.open(dir, ComputeDevice.CPU, Precision.FLOAT32, null)) {
            p.guidanceBatching(GuidanceBatching.ONE_BATCH);
            Decomposition exact = null;
            double total = 0;
            for (int round = 1; round <= 2; round++) {
                try (TensorScope s = TensorScope.open()) {
                    long t0 = System.nanoTime();
                    exact = p.run(image, settings, given, ProgressListener.NONE, new Cancellation());
                    total = (System.nanoTime() - t0) / 1e9;
                }
            }
            double reducedDenoise = reduced.seconds().getOrDefault("denoise", 0.0);
            double exactDenoise = exact.seconds().getOrDefault("denoise", 0.0);
            LayerDifference d = difference(reduced, exact);
            out.printf(Locale.ROOT, "  float32, one batch: total %6.2f s, denoise %.2f s; %s denoise takes %.2fx "
                    + "float32's; its layers differ from float32's by at most %d of 255, mean %.3f (8-bit)%n",
                    total, exactDenoise, precision.key(), reducedDenoise / exactDenoise, d.max(), d.mean());
        }
    }

    /** How far the 8-bit layers of two decompositions are apart. */
    private static LayerDifference difference(Decomposition a, Decomposition b) {
        return LayerDifference.of(a.stack().layers(), b.stack().layers());
    }

    /**
     * The run's matmul-class work per stage and its reference time: all of it at the matmul rate, except the
     * transformer's attention at the rate the fused attention kernel reaches (attention FLOPs from the forward timed
     * alone).
     */
    private static void printReference(StageWork work, int forwards, ForwardTiming forward, MatmulThroughput matmul,
            double total, PrintStream out) {
        double rate = matmul.bestFlopsPerSec();
        double attention = forwards * forward.attentionFlops();
        double reference = (work.totalFlops() - attention) / rate + attention / forward.attentionRate();
        out.printf(Locale.ROOT, "    work: %s; %.0f GFLOP in all, %.0f %% of it the transformer's attention (%.0f "
                + "GFLOP/s in the forward timed alone, %.0f %% of the matmul rate); matmul %.0f GFLOP/s (best 1024^3, "
                + "this process)%n", work.describe(rate), work.totalFlops() / 1e9, 100 * attention / work.totalFlops(),
                forward.attentionRate() / 1e9, 100 * forward.attentionRate() / rate, rate / 1e9);
        out.printf(Locale.ROOT, "    that work at those rates: %.2f s; this run took %.2fx that%n", reference,
                total / reference);
    }

    /** One forward timed alone: its seconds and its attention's FLOPs and seconds. */
    private record ForwardTiming(double seconds, double attentionFlops, double attentionSeconds) {
        double attentionRate() {
            return attentionFlops / attentionSeconds;
        }
    }

    /** One transformer forward on the run's shapes (after a warm-up), profiled; the faster of two. */
    private static ForwardTiming oneForward(Path dir, TransformerConfig c, ResolutionBucket b, int text,
            Precision precision) throws IOException {
        ComputeDevice cpu = ComputeDevice.CPU;
        try (QwenImageTransformer t = QwenImageTransformer.load(dir.resolve("transformer"),
                QwenImageTransformer.Options.cpu().withPrecision(precision))) {
            ForwardTiming best = null;
            for (int r = 0; r < 2; r++) {
                try (TensorScope s = TensorScope.open()) {
                    long tokens = (long) (LAYERS + 2) * b.tokensPerFrame();
                    Tensor x = Ops.seededNormal(3, new long[] {1, tokens, c.inChannels()}, cpu);
                    Tensor e = Ops.seededNormal(4, new long[] {1, 6, text}, cpu);
                    Tensor ts = Ops.fromFloats(new float[] {0.5f}, new long[] {1}, cpu);
                    Tensor flags = Ops.fromLongs(new long[] {0}, new long[] {1}, cpu);
                    List<FrameShape> shapes = FrameShape.layered(LAYERS, b.gridHeight(), b.gridWidth());
                    OpProfile prof = OpProfile.recording();
                    long t0 = System.nanoTime();
                    t.forward(x, e, null, ts, flags, shapes, ForwardObserver.NONE, prof).toFloats();
                    double seconds = (System.nanoTime() - t0) / 1e9;
                    if (best == null || seconds < best.seconds()) {
                        best = new ForwardTiming(seconds, prof.attentionFlops(), prof.attentionSeconds());
                    }
                }
            }
            return best;
        }
    }

    private static String rounded(Map<String, Double> m) {
        StringBuilder b = new StringBuilder();
        m.forEach((k, v) -> b.append(b.length() == 0 ? "" : ", ").append(k).append(' ')
                .append(String.format(Locale.ROOT, "%.2f", v)));
        return b.toString();
    }

    static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException | RuntimeException e) {
            return "n/a";
        }
    }
}
