package org.layered.bench;

import org.layered.engine.ComputeDevice;
import org.layered.engine.DType;
import org.layered.engine.Ops;
import org.layered.engine.Tensor;
import org.layered.engine.TensorScope;
import org.layered.weights.SafetensorsWeights;
import org.layered.weights.safetensors.ShardedCheckpoint;
import org.layered.weights.safetensors.TensorInfo;
import org.layered.weights.safetensors.SafetensorsWriter;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Weight loading benchmark: how fast each way of getting a checkpoint's tensors into native memory is, side by side
 * in one run, on a synthetic bf16 checkpoint of {@code gib} GiB (the released model's dtype) and a float32 one of
 * the same size. The page cache is warm for all (the files were just written), so the figures compare CPU-side
 * costs, not the disk.
 *
 * <ul>
 *   <li><b>sequential read</b> of the bf16 file with a reused 64 MiB buffer (median of three): the floor any loader
 *       pays;</li>
 *   <li><b>mapped, native reads</b> (the old loader, the reference): the file is mapped and libtorch copies from
 *       the mapping (bf16), or a float32 tensor aliases it (no copy at all). Unsafe: a file that shrinks under the
 *       mapping gives SIGBUS inside libtorch, which aborts the JVM;</li>
 *   <li><b>positional read</b> ({@code FileChannel.read} straight into fresh tensor memory), what
 *       {@link SafetensorsWeights} does now;</li>
 *   <li><b>mapped, Java copy</b> ({@code ByteBuffer.put} from the mapping into fresh tensor memory; the JVM turns a
 *       fault there into an {@code InternalError}, converted to an exception naming the file).</li>
 * </ul>
 * Each route materialises every tensor in the target dtype ({@code bf16} or {@code float32}, the CPU compute dtype);
 * routes run interleaved for three rounds and the median is printed, with its ratio to the old route and to the read.
 */
public final class LoadBench {
    private static final int ROUNDS = 3;

    private enum Route {
        MAPPED_NATIVE("mapped, native reads (old)"),
        POSITIONAL_READ("positional read (in use)"),
        MAPPED_JAVA_COPY("mapped, Java copy");

        final String label;

        Route(String label) {
            this.label = label;
        }
    }

    private LoadBench() {}

    public static void run(double gib, Path dir, PrintStream out) throws IOException {
        long bytes = (long) (gib * (1L << 30));
        Path bf16 = write(dir.resolve("synthetic-bf16.safetensors"), DType.BF16, bytes);
        Path f32 = write(dir.resolve("synthetic-f32.safetensors"), DType.F32, bytes);
        try {
            out.printf(Locale.ROOT, "checkpoints: %.2f GiB of bf16 and %.2f GiB of float32 tensors (16 each) in %s%n",
                    Files.size(bf16) / (double) (1L << 30), Files.size(f32) / (double) (1L << 30), dir);
            long rss0 = ProcessMemory.rssMiB();
            double[] reads = new double[ROUNDS];
            ByteBuffer buf = ByteBuffer.allocateDirect(64 << 20);
            for (int i = 0; i < ROUNDS; i++) {
                reads[i] = sequentialRead(bf16, buf);
            }
            double read = median(reads);
            out.printf(Locale.ROOT, "%-46s %9s %9s %9s%n", "what", "seconds", "x old", "x read");
            out.printf(Locale.ROOT, "%-46s %9.3f %9s %9.2f%n", "sequential read of the bf16 file", read, "", 1.0);
            try (TensorScope root = TensorScope.open()) {
                long t0 = System.nanoTime();
                try (SafetensorsWeights w = SafetensorsWeights.open(bf16)) {
                    double open = (System.nanoTime() - t0) / 1e9;
                    out.printf(Locale.ROOT, "%-46s %9.3f %9s %9.2f%n", "open (header only)", open, "", open / read);
                }
                compare(bf16, DType.BF16, read, out);
                compare(bf16, DType.F32, read, out);
                compare(f32, DType.F32, read, out);
            }
            System.gc(); // unmaps the files: mapped buffers are released only when collected
            // file-backed RSS counts each mapping of the same pages again until it is collected: not a cost
            out.printf(Locale.ROOT, "after closing every scope: anonymous RSS %d MiB (RSS +%d MiB in all, of which "
                    + "file-backed %d MiB)%n", ProcessMemory.anonMiB(), ProcessMemory.rssMiB() - rss0,
                    ProcessMemory.fileMiB());
        } finally {
            Files.deleteIfExists(bf16);
            Files.deleteIfExists(f32);
        }
    }

    /** Materialises every tensor of {@code file} as {@code target} by each route, interleaved, and prints medians. */
    private static void compare(Path file, DType target, double read, PrintStream out) throws IOException {
        Map<Route, double[]> seconds = new EnumMap<>(Route.class);
        Map<Route, Double> checksums = new EnumMap<>(Route.class);
        try (SafetensorsWeights w = SafetensorsWeights.open(file);
             FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            for (int round = 0; round < ROUNDS; round++) {
                for (Route r : Route.values()) {
                    try (TensorScope s = TensorScope.open()) {
                        long t0 = System.nanoTime();
                        List<Tensor> loaded = new ArrayList<>();
                        for (String name : w.names()) {
                            loaded.add(load(r, w, ch, file, name, target));
                        }
                        seconds.computeIfAbsent(r, k -> new double[ROUNDS])[round] = (System.nanoTime() - t0) / 1e9;
                        if (round == 0) {
                            checksums.put(r, checksum(loaded));
                        }
                    }
                }
            }
        }
        double reference = median(seconds.get(Route.MAPPED_NATIVE));
        DType stored = file.getFileName().toString().contains("bf16") ? DType.BF16 : DType.F32;
        for (Route r : Route.values()) {
            if (!checksums.get(r).equals(checksums.get(Route.MAPPED_NATIVE))) {
                throw new IllegalStateException(r.label + " loaded other values than the old route");
            }
            double m = median(seconds.get(r));
            out.printf(Locale.ROOT, "%-46s %9.3f %9.2f %9.2f%n", stored + " -> " + target + ": " + r.label, m,
                    m / reference, m / read);
        }
    }

    private static Tensor load(Route route, SafetensorsWeights w, FileChannel ch, Path file, String name,
            DType target) throws IOException {
        ShardedCheckpoint ck = w.checkpoint();
        TensorInfo info = ck.info(name);
        return switch (route) {
            case POSITIONAL_READ -> w.load(name, target, ComputeDevice.CPU);
            case MAPPED_NATIVE -> Ops.as(Ops.fromBytes(ck.data(name), info.dtype(), info.shape(), ComputeDevice.CPU),
                    target);
            case MAPPED_JAVA_COPY -> {
                long base = ck.fileOf(name).dataOffset() + info.begin();
                Tensor stored = Ops.read(info.dtype(), info.shape(), ComputeDevice.CPU,
                        (offset, dst) -> javaCopy(ch, base + offset, dst, file));
                yield Ops.as(stored, target);
            }
        };
    }

    /** Route (b): copies out of a fresh mapping in Java; a fault (the file shrank) becomes an IOException. */
    private static void javaCopy(FileChannel ch, long pos, ByteBuffer dst, Path file) throws IOException {
        MappedByteBuffer src = ch.map(FileChannel.MapMode.READ_ONLY, pos, dst.remaining());
        try {
            dst.put(src);
        } catch (InternalError e) {
            throw new IOException(file + ": the file changed while it was read (" + e.getMessage() + ")", e);
        }
    }

    private static double checksum(List<Tensor> tensors) {
        double sum = 0;
        for (Tensor t : tensors) {
            sum += Ops.as(t, DType.F32).sum(new int[] {0, 1}, false).item();
        }
        return sum;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    private static double sequentialRead(Path file, ByteBuffer buf) throws IOException {
        long t0 = System.nanoTime();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            buf.clear();
            while (ch.read(buf) > 0) {
                buf.clear();
            }
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    /** A checkpoint of 16 tensors [rows, 4096] of {@code dtype} holding about {@code bytes} bytes. */
    private static Path write(Path file, DType dtype, long bytes) throws IOException {
        int tensors = 16;
        long perTensor = bytes / tensors / dtype.bytes() / 4096 * 4096; // elements
        SafetensorsWriter w = new SafetensorsWriter();
        for (int i = 0; i < tensors; i++) {
            final float value = 1 + i / 16f;
            w.putGenerated("blocks." + i + ".weight", dtype, new long[] {perTensor / 4096, 4096}, ch -> {
                ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
                long left = perTensor;
                while (left > 0) {
                    buf.clear();
                    int n = (int) Math.min(left, buf.capacity() / dtype.bytes());
                    for (int k = 0; k < n; k++) {
                        if (dtype == DType.BF16) {
                            buf.putShort((short) (Float.floatToIntBits(value + (k & 7)) >>> 16));
                        } else {
                            buf.putFloat(value + (k & 7));
                        }
                    }
                    buf.flip();
                    while (buf.hasRemaining()) {
                        ch.write(buf);
                    }
                    left -= n;
                }
            });
        }
        w.write(file);
        return file;
    }
}
