package org.layered.bench;

import org.layered.engine.ComputeDevice;
import org.layered.engine.DType;
import org.layered.engine.Tensor;
import org.layered.engine.TensorScope;
import org.layered.weights.SafetensorsWeights;
import org.layered.weights.safetensors.SafetensorsWriter;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;

/**
 * Weight loading benchmark: a synthetic bf16 checkpoint of {@code gib} GiB is (1) read sequentially with plain
 * file I/O, the floor any loader must pay, (2) opened through the mapped safetensors reader, (3) materialised as
 * bf16 tensors, (4) materialised as float32 tensors (the CPU compute dtype). Times and RSS are printed side by
 * side with each path's ratio to the sequential read. The page cache is warm for all four (the file was just
 * written), so the figures compare CPU-side costs, not the disk.
 */
public final class LoadBench {
    private LoadBench() {}

    public static void run(double gib, Path dir, PrintStream out) throws IOException {
        int tensors = 16;
        long bytes = (long) (gib * (1L << 30));
        long perTensor = bytes / tensors / 2 / 4096 * 4096; // elements, bf16
        Path file = dir.resolve("synthetic-bf16.safetensors");
        SafetensorsWriter w = new SafetensorsWriter();
        for (int i = 0; i < tensors; i++) {
            final int seed = i;
            w.putGenerated("blocks." + i + ".weight", DType.BF16, new long[] {perTensor / 4096, 4096}, ch -> {
                ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
                long left = perTensor;
                short v = (short) (0x3f80 + seed);
                while (left > 0) {
                    buf.clear();
                    int n = (int) Math.min(left, buf.capacity() / 2);
                    for (int k = 0; k < n; k++) {
                        buf.putShort(v);
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
        long size = Files.size(file);
        out.printf(Locale.ROOT, "checkpoint: %s, %.2f GiB, %d bf16 tensors%n", file, size / (double) (1L << 30),
                tensors);
        out.printf(Locale.ROOT, "%-34s %10s %10s %10s%n", "path", "seconds", "RSS MiB", "x read");

        long rss0 = ProcessMemory.rssMiB();
        long t0 = System.nanoTime();
        long sum = 0;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocateDirect(64 << 20);
            while (ch.read(buf) > 0) {
                buf.flip();
                sum += buf.get(0);
                buf.clear();
            }
        }
        double read = (System.nanoTime() - t0) / 1e9;
        line(out, "sequential read (64 MiB buffer)", read, ProcessMemory.rssMiB() - rss0, read);

        try (TensorScope root = TensorScope.open()) {
            t0 = System.nanoTime();
            SafetensorsWeights weights = SafetensorsWeights.open(file);
            double open = (System.nanoTime() - t0) / 1e9;
            line(out, "open (mapped, header only)", open, ProcessMemory.rssMiB() - rss0, read);
            for (DType target : new DType[] {DType.BF16, DType.F32}) {
                try (TensorScope s = TensorScope.open()) {
                    t0 = System.nanoTime();
                    double check = 0;
                    for (String name : weights.names()) {
                        Tensor t = weights.load(name, target, ComputeDevice.CPU);
                        check += t.numel();
                    }
                    double secs = (System.nanoTime() - t0) / 1e9;
                    line(out, "materialise all as " + target, secs, ProcessMemory.rssMiB() - rss0, read);
                    if (check <= 0) {
                        throw new IllegalStateException("nothing loaded");
                    }
                }
            }
            weights.close();
        }
        System.gc(); // unmaps the file: mapped buffers are released only when collected
        out.printf(Locale.ROOT, "peak RSS %d MiB (checksum %d); after closing every scope: RSS +%d MiB, of which "
                + "anonymous %d MiB, file-backed %d MiB%n", ProcessMemory.peakRssMiB(), sum,
                ProcessMemory.rssMiB() - rss0, ProcessMemory.anonMiB(), ProcessMemory.fileMiB());
        Files.delete(file);
    }

    private static void line(PrintStream out, String what, double secs, long rssDelta, double read) {
        out.printf(Locale.ROOT, "%-34s %10.3f %10d %10.2f%n", what, secs, rssDelta, secs / read);
    }
}
