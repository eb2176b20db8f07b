package org.layered.bench;

import org.layered.engine.ComputeDevice;
import org.layered.engine.CpuFeatures;
import org.layered.engine.Precision;
import org.layered.engine.MatmulThroughput;
import org.layered.engine.DType;
import org.layered.engine.Ops;
import org.layered.engine.Tensor;
import org.layered.engine.TensorScope;
import org.layered.engine.TorchEngine;
import org.layered.model.transformer.FrameShape;
import org.layered.model.transformer.ForwardObserver;
import org.layered.model.transformer.OpProfile;
import org.layered.model.transformer.QwenImageTransformer;
import org.layered.weights.residency.ResidencyPolicy;
import org.layered.model.transformer.TransformerConfig;
import org.layered.model.transformer.TransformerLayout;
import org.layered.weights.safetensors.SafetensorsWriter;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * Transformer forward benchmark (CPU, float32 or bf16): one forward of a <b>one-block</b> model at the released
 * width (3072, 24 heads x 128, text 3584, axes [16, 56, 56]) on the 640-px bucket with N layers (40 x 40 tokens per
 * frame, N + 2 frames: 9,600 image tokens for N = 4) and a prompt of T tokens.
 *
 * <p>The model has random weights (PyTorch-like uniform init), written as a float32 diffusers checkpoint to a temp
 * folder with {@link SafetensorsWriter} and loaded through the normal path (read into memory once, resident). In the
 * same run, 1024^3 matmuls in the same precision, measured before and after the forward, give the machine's matmul
 * GFLOP/s, the reference for the forward's achieved GFLOP/s. An {@link OpProfile} splits the forward's time into
 * linear layers (with their fused epilogues), fused attention and everything else (LayerNorm + modulation, copies,
 * Java and op-dispatch overhead); the tensors the forward creates are counted.
 *
 * <p>Usage: {@code TransformerBench [--layers N] [--grid G] [--text T] [--blocks B] [--precision float32|bf16]
 * [--dir DIR]} (defaults 4, 40, 128, 1, float32, system temp). Needs about 1.6 GB of scratch disk and 7 GB of RAM
 * at the defaults. The engine asks libtorch for transparent huge pages ({@code THP_MEM_ALLOC_ENABLE=1}), which cut
 * the non-matmul time by about a third in our runs (fewer page faults on fresh activations).
 */
public final class TransformerBench {
    private TransformerBench() {
    }

    public static void main(String[] args) throws IOException {
        int layers = 4;
        int grid = 40;
        int text = 128;
        int blocks = 1;
        Precision precision = Precision.FLOAT32;
        Path dir = Path.of(System.getProperty("java.io.tmpdir"));
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String v = i + 1 < args.length ? args[i + 1] : null;
            switch (a) {
                case "--layers" -> layers = Integer.parseInt(v);
                case "--grid" -> grid = Integer.parseInt(v);
                case "--text" -> text = Integer.parseInt(v);
                case "--blocks" -> blocks = Integer.parseInt(v);
                case "--dir" -> dir = Path.of(v);
                case "--precision" -> precision = Objects.requireNonNullElse(Precision.parseRequest(v),
                        Precision.FLOAT32);
                default -> {
                    System.err.println("usage: TransformerBench [--layers N] [--grid G] [--text T] [--blocks B] "
                            + "[--precision float32|bf16] [--dir DIR]");
                    System.exit(2);
                }
            }
            i++;
        }
        run(layers, grid, text, blocks, precision, dir, System.out);
    }

    /** Runs the benchmark and prints its report. */
    public static void run(int layers, int grid, int text, int blocks, Precision precision, Path scratch,
            PrintStream out) throws IOException {
        out.printf(Locale.ROOT, "libtorch %s, %d CPU cores visible to the JVM, %s, %s, load average %s%n",
                TorchEngine.get().version(), Runtime.getRuntime().availableProcessors(),
                CpuFeatures.current().describe(), TorchEngine.get().linearKernelNote(), loadAverage());
        double[] matmul = matmulGflops(precision, out);
        double matmulGflops = matmul[0];

        TransformerConfig config = TransformerConfig.released().withNumLayers(blocks);
        Path dir = Files.createTempDirectory(scratch, "transformer-bench");
        try {
            long t0 = System.nanoTime();
            long bytes = writeRandomCheckpoint(config, dir, 1234);
            out.printf(Locale.ROOT, "random %d-block checkpoint (float32, %.2f GB) written in %.1f s%n", blocks,
                    bytes / 1e9, (System.nanoTime() - t0) / 1e9);

            t0 = System.nanoTime();
            try (QwenImageTransformer model = QwenImageTransformer.load(dir, QwenImageTransformer.Options.cpu()
                    .withPrecision(precision).withResidency(ResidencyPolicy.resident()))) {
                out.printf(Locale.ROOT, "loaded in %.2f s: %s%n", (System.nanoTime() - t0) / 1e9, model);

                // warm-up on a tiny sequence (first-call costs of the op library)
                forward(model, 1, 4, 8, OpProfile.OFF);
                // fixed per-forward cost: an 8-token forward does the same op calls on almost no data
                OpProfile tiny = OpProfile.recording();
                double tinySeconds = forward(model, 0, 2, 1, tiny);
                double tinyOther = tinySeconds - tiny.linearSeconds() - tiny.attentionSeconds();
                out.printf(Locale.ROOT, "8-token forward: %.3f s, of which linear %.3f s (weight-bandwidth bound), "
                        + "attention %.4f s, everything else %.4f s = Java + op-dispatch overhead per forward%n",
                        tinySeconds, tiny.linearSeconds(), tiny.attentionSeconds(), tinyOther);

                List<FrameShape> shapes = FrameShape.layered(layers, grid, grid);
                int imageTokens = FrameShape.tokens(shapes);
                out.printf(Locale.ROOT, "forward: %d image tokens (%d frames of %dx%d) + %d text tokens, batch 1%n",
                        imageTokens, shapes.size(), grid, grid, text);
                OpProfile prof = OpProfile.recording();
                long rss0 = ProcessMemory.rssMiB();
                double seconds = forward(model, layers, grid, text, prof);
                long peak = ProcessMemory.peakRssMiB();

                double flops = prof.linearFlops() + prof.attentionFlops();
                double achieved = flops / seconds / 1e9;
                double linS = prof.linearSeconds();
                double attS = prof.attentionSeconds();
                double other = seconds - linS - attS;
                out.printf(Locale.ROOT, "%n== one forward, %d block(s), width %d, %s, CPU ==%n", blocks,
                        config.innerDim(), precision.key());
                out.printf(Locale.ROOT, "time                      %8.2f s%n", seconds);
                out.printf(Locale.ROOT, "tensors created           %8d (op results, views included)%n",
                        lastTensors);
                out.printf(Locale.ROOT, "work                      %8.1f GFLOP (linear %.1f, attention %.1f)%n",
                        flops / 1e9, prof.linearFlops() / 1e9, prof.attentionFlops() / 1e9);
                double[] after = matmulGflops(precision, out);
                out.printf(Locale.ROOT, "achieved                  %8.1f GFLOP/s = %.0f%% of the best 1024^3 matmul "
                        + "(%.1f GFLOP/s), %.0f%% of its median (%.1f GFLOP/s); measured again after the forward: "
                        + "best %.1f, median %.1f GFLOP/s%n", achieved, 100 * achieved / matmulGflops, matmulGflops,
                        100 * achieved / matmul[1], matmul[1], after[0], after[1]);
                out.printf(Locale.ROOT, "linear layers  (%3d layers) %6.2f s  %5.1f%%  %6.1f GFLOP/s (with their fused "
                        + "epilogues: bias, q/k norm + RoPE, GELU, gated residuals)%n",
                        prof.linearCalls(), linS, 100 * linS / seconds, prof.linearFlops() / linS / 1e9);
                out.printf(Locale.ROOT, "fused attention (%2d calls) %7.2f s  %5.1f%%  %6.1f GFLOP/s%n",
                        prof.attentionCalls(), attS, 100 * attS / seconds, prof.attentionFlops() / attS / 1e9);
                out.printf(Locale.ROOT, "everything else            %7.2f s  %5.1f%%  (LayerNorm + modulation, "
                        + "embeddings, copies, Java and op overhead)%n", other, 100 * other / seconds);
                double sections = 0;
                for (OpProfile.Section sec : OpProfile.Section.values()) {
                    double t = prof.sectionSeconds(sec);
                    sections += t;
                    out.printf(Locale.ROOT, "  %-22s %7.2f s  %5.1f%%%n", sec.name().toLowerCase(Locale.ROOT), t,
                            100 * t / seconds);
                }
                out.printf(Locale.ROOT, "  %-22s %7.2f s  %5.1f%%  (embedding, RoPE tables, masks, modulation "
                        + "chunks, scopes)%n", "rest", other - sections, 100 * (other - sections) / seconds);
                out.printf(Locale.ROOT, "  of which Java + op dispatch (from the 8-token forward) ~ %.3f s; the rest "
                        + "is memory-bound elementwise kernels and allocation of their outputs%n", tinyOther);
                out.printf(Locale.ROOT, "load average at the end: %s%n", loadAverage());
                out.printf(Locale.ROOT, "RSS before forward %d MiB, peak RSS %d MiB%n", rss0, peak);
                double perBlock60 = seconds; // one block dominates; 60 blocks ~ 60x the block time
                out.printf(Locale.ROOT, "extrapolation: a 60-block forward at this size ~ %.0f s on this machine "
                        + "(block time x 60, embedding/output layers excluded)%n", perBlock60 * 60 / blocks);
            }
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException | RuntimeException e) {
            return "n/a";
        }
    }

    /** {best, median} GFLOP/s of 1024^3 matmuls in {@code precision} through the engine (a fresh measurement). */
    static double[] matmulGflops(Precision precision, PrintStream out) {
        MatmulThroughput m = MatmulThroughput.measure(ComputeDevice.CPU, precision, 1024, 2, 5);
        out.println("matmul: " + m.describe());
        return new double[] {m.bestFlopsPerSec() / 1e9, m.medianFlopsPerSec() / 1e9};
    }

    /** Tensors the last {@link #forward} created inside the model (op results, views included). */
    private static long lastTensors;

    /** Times one forward of the Layered layout with random inputs; seconds. */
    static double forward(QwenImageTransformer model, int layers, int grid, int text, OpProfile prof)
            throws IOException {
        TransformerConfig c = model.config();
        List<FrameShape> shapes = FrameShape.layered(layers, grid, grid);
        int s = FrameShape.tokens(shapes);
        try (TensorScope scope = TensorScope.open()) {
            Tensor hs = Ops.randomNormal(new long[] {1, s, c.inChannels()}, ComputeDevice.CPU);
            Tensor enc = Ops.randomNormal(new long[] {1, text, c.jointAttentionDim()}, ComputeDevice.CPU);
            Tensor ts = Ops.fromFloats(new float[] {0.5f}, new long[] {1}, ComputeDevice.CPU);
            Tensor flags = Ops.fromLongs(new long[] {0}, new long[] {1}, ComputeDevice.CPU);
            long created = Tensor.createdCount();
            long t0 = System.nanoTime();
            Tensor out = model.forward(hs, enc, null, ts, flags, shapes, ForwardObserver.NONE, prof);
            double seconds = (System.nanoTime() - t0) / 1e9;
            lastTensors = Tensor.createdCount() - created;
            if (!Double.isFinite(out.maxAbs())) {
                throw new IllegalStateException("the forward produced non-finite values");
            }
            return seconds;
        }
    }

    /**
     * Writes {@code config.json} and a float32 {@code diffusion_pytorch_model.safetensors} with random weights
     * (uniform in +-1/sqrt(fan_in), norm scales 1) for {@code config}; returns the weight bytes.
     */
    public static long writeRandomCheckpoint(TransformerConfig c, Path dir, long seed) throws IOException {
        List<Object[]> tensors = new ArrayList<>();
        Map<String, long[]> shapes = TransformerLayout.parameterShapes(c);
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            String name = e.getKey();
            long[] shape = e.getValue();
            double bound; // 0: constant 1 (norm scales); else uniform(-bound, bound) with the layer's fan-in
            if (name.endsWith(".bias")) {
                bound = 1.0 / Math.sqrt(shapes.get(name.substring(0, name.length() - 4) + "weight")[1]);
            } else if (shape.length == 1) {
                bound = 0.0;
            } else {
                bound = name.endsWith("addition_t_embedding.weight") ? 1.0 : 1.0 / Math.sqrt(shape[1]);
            }
            tensors.add(new Object[] {name, shape, bound});
        }
        SafetensorsWriter w = new SafetensorsWriter();
        long total = 0;
        long k = 0;
        for (Object[] t : tensors) {
            String name = (String) t[0];
            long[] shape = (long[]) t[1];
            double bound = (double) t[2]; // 0: constant 1 (norm scales); else uniform(-bound, bound)
            long count = 1;
            for (long x : shape) {
                count *= x;
            }
            final long n = count;
            final long stream = seed * 1_000_003L + k++;
            w.putGenerated(name, DType.F32, shape, ch -> {
                ByteBuffer buf = ByteBuffer.allocateDirect(1 << 22).order(ByteOrder.LITTLE_ENDIAN);
                long state = stream * 0x9E3779B97F4A7C15L + 1;
                long left = n;
                while (left > 0) {
                    buf.clear();
                    int m = (int) Math.min(left, buf.capacity() / 4);
                    for (int i = 0; i < m; i++) {
                        if (bound == 0) {
                            buf.putFloat(1f);
                        } else {
                            state ^= state << 13;
                            state ^= state >>> 7;
                            state ^= state << 17;
                            double u = (state >>> 11) * 0x1.0p-53; // [0, 1)
                            buf.putFloat((float) ((2 * u - 1) * bound));
                        }
                    }
                    buf.flip();
                    while (buf.hasRemaining()) {
                        ch.write(buf);
                    }
                    left -= m;
                }
            });
            total += n * 4;
        }
        w.write(dir.resolve("diffusion_pytorch_model.safetensors"));
        int[] axes = c.axesDimsRope();
        Files.writeString(dir.resolve("config.json"), String.format(Locale.ROOT, """
                {"_class_name": "QwenImageTransformer2DModel", "patch_size": %d, "in_channels": %d,
                 "out_channels": %d, "num_layers": %d, "attention_head_dim": %d, "num_attention_heads": %d,
                 "joint_attention_dim": %d, "axes_dims_rope": [%d, %d, %d], "guidance_embeds": false,
                 "zero_cond_t": false, "use_additional_t_cond": %b, "use_layer3d_rope": true}
                """, c.patchSize(), c.inChannels(), c.outChannels(), c.numLayers(), c.attentionHeadDim(),
                c.numAttentionHeads(), c.jointAttentionDim(), axes[0], axes[1], axes[2], c.useAdditionalTCond()));
        return total;
    }

}
