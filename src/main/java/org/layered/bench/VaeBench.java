package org.layered.bench;

import org.layered.engine.ComputeDevice;
import org.layered.engine.DType;
import org.layered.engine.Ops;
import org.layered.engine.Precision;
import org.layered.engine.Tensor;
import org.layered.engine.TensorScope;
import org.layered.model.vae.RgbaVae;
import org.layered.model.vae.VaeConfig;
import org.layered.model.vae.VaeLayout;
import org.layered.model.vae.VaeMemory;
import org.layered.weights.residency.ActivationLedger;
import org.layered.weights.safetensors.SafetensorsWriter;
import org.layered.weights.safetensors.TensorValues;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * RGBA-VAE benchmark (CPU, float32 unless {@code --bf16}): encode + decode of one 640-bucket image (640x640 RGBA)
 * with (a) the tiny golden VAE and (b) a VAE of the released dimensions with random weights written to a temporary
 * diffusers folder in code and loaded through the normal path; optionally (c) the decode of one 1024-bucket latent
 * (128x128, i.e. 1024x1024 pixels) with the released dimensions, the pipeline's memory-critical step.
 *
 * <p>Prints wall seconds per step and the peak resident set (VmHWM) of each step; the peak is reset before each
 * step through {@code /proc/self/clear_refs} where the kernel allows it (otherwise it is the peak since start).
 * Run: {@code java -cp 'target/classes:target/lib/*' org.layered.bench.VaeBench [--tiny DIR] [--skip-tiny]
 * [--skip-released] [--decode1024] [--size N] [--bf16] [--strips BYTES]}. Setting {@code MALLOC_MMAP_THRESHOLD_=1048576} in the
 * environment makes freed tensors return to the OS at once (as the test suite does).
 */
public final class VaeBench {
    private static long stripBytes = RgbaVae.DEFAULT_STRIP_BYTES;

    private VaeBench() {
    }

    public static void main(String[] args) throws IOException {
        Path tiny = Path.of("src/test/resources/golden/vae");
        boolean runTiny = true;
        boolean runReleased = true;
        boolean decode1024 = false;
        int size = 640;
        Precision precision = Precision.FLOAT32;
        long strips = RgbaVae.DEFAULT_STRIP_BYTES;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--tiny" -> tiny = Path.of(args[++i]);
                case "--skip-tiny" -> runTiny = false;
                case "--skip-released" -> runReleased = false;
                case "--decode1024" -> decode1024 = true;
                case "--size" -> size = Integer.parseInt(args[++i]);
                case "--bf16" -> precision = Precision.BFLOAT16;
                case "--strips" -> strips = Long.parseLong(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i] + " (see the class doc)");
            }
        }
        PrintStream out = System.out;
        out.printf(Locale.ROOT, "VaeBench: CPU, %s, %d cores, %d-bucket image %dx%d RGBA, row strips %s%n",
                precision, Runtime.getRuntime().availableProcessors(), size, size, size,
                strips == Long.MAX_VALUE ? "off" : (strips >> 20) + " MiB");
        stripBytes = strips;
        if (runTiny) {
            out.println("== tiny golden VAE (" + tiny + ")");
            run(tiny, size, precision, false, out);
        }
        if (runReleased || decode1024) {
            Path dir = Files.createTempDirectory("vae-bench-");
            try {
                VaeConfig released = VaeConfig.releasedLayered();
                long t0 = System.nanoTime();
                writeRandomCheckpoint(released, dir, 1234L);
                out.printf(Locale.ROOT, "== released dimensions (%,d parameters, random bf16 weights written in %.1f s to %s)%n",
                        VaeLayout.parameterCount(released), (System.nanoTime() - t0) / 1e9, dir);
                if (runReleased) {
                    run(dir, size, precision, false, out);
                }
                if (decode1024) {
                    out.println("== released dimensions, decode of one 1024-bucket latent (1, 16, 1, 128, 128)");
                    run(dir, 1024, precision, true, out);
                }
            } finally {
                deleteTree(dir);
            }
        }
    }

    private static void run(Path dir, int size, Precision precision, boolean decodeOnly, PrintStream out)
            throws IOException {
        boolean reset = resetPeak();
        long rss0 = ProcessMemory.rssMiB();
        cpuMark = cpuSeconds();
        long t0 = System.nanoTime();
        try (RgbaVae vae = RgbaVae.load(dir, ComputeDevice.CPU, precision)) {
            vae.stripBudgetBytes(stripBytes);
            double load = seconds(t0);
            long rssLoaded = ProcessMemory.rssMiB();
            step(out, "load", load, reset);
            try (TensorScope s = TensorScope.open()) {
                Tensor latents;
                if (decodeOnly) {
                    int h = size / vae.spatialCompression();
                    latents = vae.denormalize(Ops.randomNormal(new long[] {1, vae.config().zDim(), 1, h, h},
                            ComputeDevice.CPU));
                } else {
                    Tensor image = randomImage(vae.config().inputChannels(), size);
                    reset = resetPeak();
                    long before = ProcessMemory.rssMiB();
                    cpuMark = cpuSeconds();
                    t0 = System.nanoTime();
                    latents = vae.encodeMode(image);
                    step(out, "encode " + size + "x" + size, seconds(t0), reset);
                    ActivationLedger l = new ActivationLedger();
                    VaeMemory m = memory(vae, precision);
                    m.encode(l, size, size, false);
                    predicted(out, before, l.peak(), m.largestConvolutionInput(), reset);
                }
                reset = resetPeak();
                long before = ProcessMemory.rssMiB();
                cpuMark = cpuSeconds();
                t0 = System.nanoTime();
                Tensor decoded = vae.decode(latents);
                double dec = seconds(t0);
                if (decoded.dtype() != DType.F32 && decoded.dtype() != DType.BF16) {
                    throw new IllegalStateException("unexpected dtype " + decoded.dtype());
                }
                step(out, "decode " + (size / vae.spatialCompression()) + "x" + (size / vae.spatialCompression())
                        + " latent", dec, reset);
                int h = size / vae.spatialCompression();
                ActivationLedger l = new ActivationLedger();
                VaeMemory m = memory(vae, precision);
                m.decode(l, 1, h, h);
                predicted(out, before, l.peak(), m.largestConvolutionInput(), reset);
            }
            out.printf(Locale.ROOT, "  (RSS before load %d MiB, after load %d MiB)%n", rss0, rssLoaded);
        }
    }

    private static double cpuMark = cpuSeconds();

    private static VaeMemory memory(RgbaVae vae, Precision precision) {
        return new VaeMemory(vae.config(), precision.dtype(), stripBytes).tensorsOnly();
    }

    /**
     * The step's peak above its start against the tensor ledger's prediction ({@link VaeMemory} without the
     * convolution workspace): their difference is what the engine's accounting does not see.
     */
    private static void predicted(PrintStream out, long startMiB, long ledgerBytes, long largest, boolean reset) {
        if (!reset) {
            return;
        }
        long measured = ProcessMemory.peakRssMiB() - startMiB;
        long ledger = ledgerBytes >> 20;
        out.printf(Locale.ROOT, "    peak above the step's start %d MiB; tensors (ledger) %d MiB; unaccounted %d MiB;"
                + " largest convolution input %d MiB%n", measured, ledger, measured - ledger,
                largest >> 20);
    }

    private static void step(PrintStream out, String what, double seconds, boolean reset) {
        double cpu = cpuSeconds();
        out.printf(Locale.ROOT, "  %-28s %8.2f s wall %8.2f s CPU   peak RSS %6d MiB%s   RSS now %6d MiB%n", what,
                seconds, cpu - cpuMark, ProcessMemory.peakRssMiB(), reset ? " (this step)" : " (since start)",
                ProcessMemory.rssMiB());
        cpuMark = cpuSeconds();
    }

    /** CPU seconds used by this process so far (user + system, all threads); wall time suffers on a shared host. */
    private static double cpuSeconds() {
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory
                .getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            return sun.getProcessCpuTime() / 1e9;
        }
        return Double.NaN;
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    /** Resets VmHWM to the current RSS (Linux: "5" to clear_refs); false when not possible. */
    static boolean resetPeak() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static Tensor randomImage(int channels, int size) {
        SplittableRandom r = new SplittableRandom(7);
        float[] v = new float[channels * size * size];
        for (int i = 0; i < v.length; i++) {
            v[i] = Math.round(r.nextDouble() * 255) / 255f * 2 - 1;
        }
        return Ops.fromFloats(v, new long[] {1, channels, 1, size, size}, ComputeDevice.CPU);
    }

    /**
     * Writes {@code config.json} and a BF16 {@code diffusion_pytorch_model.safetensors} with PyTorch-default-like
     * random values (uniform +-1/sqrt(fan_in) for weights and biases, RMS gammas 1), streamed tensor by tensor.
     */
    public static void writeRandomCheckpoint(VaeConfig config, Path dir, long seed) throws IOException {
        Files.writeString(dir.resolve("config.json"), config.toJson());
        SafetensorsWriter w = new SafetensorsWriter();
        Map<String, long[]> shapes = VaeLayout.parameterShapes(config);
        Map<String, long[]> weights = new java.util.LinkedHashMap<>(shapes);
        long i = 0;
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            String name = e.getKey();
            long[] shape = e.getValue();
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            final long count = n;
            final long tensorSeed = seed * 1_000_003L + i++;
            final double bound;
            final boolean ones = name.endsWith(".gamma");
            if (name.endsWith(".bias")) {
                long[] ws = weights.get(name.substring(0, name.length() - 5) + ".weight");
                bound = 1.0 / Math.sqrt(fanIn(ws));
            } else {
                bound = ones ? 0 : 1.0 / Math.sqrt(fanIn(shape));
            }
            w.putGenerated(name, DType.BF16, shape, ch -> {
                SplittableRandom r = new SplittableRandom(tensorSeed);
                ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
                long left = count;
                while (left > 0) {
                    buf.clear();
                    int k = (int) Math.min(left, buf.capacity() / 2);
                    for (int j = 0; j < k; j++) {
                        float v = ones ? 1f : (float) ((r.nextDouble() * 2 - 1) * bound);
                        buf.putShort(TensorValues.floatToBf16(v));
                    }
                    buf.flip();
                    while (buf.hasRemaining()) {
                        ch.write(buf);
                    }
                    left -= k;
                }
            });
        }
        w.write(dir.resolve("diffusion_pytorch_model.safetensors"));
    }

    private static long fanIn(long[] weightShape) {
        long f = 1;
        for (int d = 1; d < weightShape.length; d++) {
            f *= weightShape[d];
        }
        return f;
    }

    private static void deleteTree(Path dir) throws IOException {
        List<Path> all = new ArrayList<>();
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(all::add);
        }
        for (Path p : all) {
            Files.deleteIfExists(p);
        }
    }
}
