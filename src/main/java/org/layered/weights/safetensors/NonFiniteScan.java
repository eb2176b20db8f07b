package org.layered.weights.safetensors;

import org.layered.engine.DType;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongConsumer;

/**
 * Finds floating-point tensors holding NaN or infinity (damaged weights) by reading a checkpoint through Java with
 * positional reads, piece by piece: no engine, no mapping, memory bounded by one 16 MiB buffer.
 */
public final class NonFiniteScan {
    private static final int PIECE = 16 << 20;

    /** A tensor with {@code nan} NaN and {@code infinite} infinite values among its {@code numel} elements. */
    public record Finding(Path file, String tensor, DType dtype, long numel, long nan, long infinite) {
        @Override
        public String toString() {
            return file + ": tensor '" + tensor + "' (" + dtype + ", " + numel + " values) holds " + nan + " NaN and "
                    + infinite + " infinite value(s)";
        }
    }

    private NonFiniteScan() {}

    /**
     * Scans every floating-point tensor of {@code checkpoint}.
     *
     * @param progress receives the number of bytes scanned after each piece (may be null)
     * @return the tensors holding NaN or infinity, in file order; empty when all are finite
     */
    public static List<Finding> scan(ShardedCheckpoint checkpoint, LongConsumer progress) throws IOException {
        List<Finding> out = new ArrayList<>();
        ByteBuffer buf = ByteBuffer.allocate(PIECE).order(ByteOrder.LITTLE_ENDIAN);
        for (TensorInfo t : checkpoint.tensors()) {
            if (!t.dtype().isFloating()) {
                continue;
            }
            long[] counts = new long[2]; // NaN, infinite
            long size = t.byteSize();
            for (long offset = 0; offset < size; offset += PIECE) {
                buf.clear().limit((int) Math.min(PIECE, size - offset));
                checkpoint.read(t.name(), offset, buf);
                buf.flip();
                count(t.dtype(), buf, counts);
                if (progress != null) {
                    progress.accept(buf.limit());
                }
            }
            if (counts[0] + counts[1] > 0) {
                out.add(new Finding(checkpoint.fileOf(t.name()).path(), t.name(), t.dtype(), t.numel(), counts[0],
                        counts[1]));
            }
        }
        return out;
    }

    /** Adds the NaN and infinite elements of {@code b} (whole elements of {@code dtype}) to {@code counts}. */
    static void count(DType dtype, ByteBuffer b, long[] counts) {
        switch (dtype) {
            case F64 -> {
                while (b.hasRemaining()) {
                    classify(b.getLong(), 0x7ff0000000000000L, 0x000fffffffffffffL, counts);
                }
            }
            case F32 -> {
                while (b.hasRemaining()) {
                    classify(b.getInt(), 0x7f800000L, 0x007fffffL, counts);
                }
            }
            case BF16 -> {
                while (b.hasRemaining()) {
                    classify(b.getShort(), 0x7f80L, 0x007fL, counts);
                }
            }
            case F16 -> {
                while (b.hasRemaining()) {
                    classify(b.getShort(), 0x7c00L, 0x03ffL, counts);
                }
            }
            case F8_E4M3 -> {
                while (b.hasRemaining()) {
                    if ((b.get() & 0x7F) == 0x7F) {
                        counts[0]++; // the only non-finite value: NaN (e4m3fn has no infinity)
                    }
                }
            }
            default -> throw new IllegalArgumentException(dtype + " is not a floating type");
        }
    }

    /** An all-ones exponent is infinity (zero mantissa) or NaN (non-zero mantissa). */
    private static void classify(long bits, long exponent, long mantissa, long[] counts) {
        if ((bits & exponent) == exponent) {
            counts[(bits & mantissa) != 0 ? 0 : 1]++;
        }
    }
}
