package org.layered.model.vae;

import org.layered.engine.Ops;
import org.layered.engine.Tensor;
import org.layered.engine.TensorScope;

import java.util.ArrayList;
import java.util.List;

/**
 * Exact row-strip evaluation of "per-pixel ops, then a 3x3 stride-1 convolution with zero padding 1" (optionally
 * after a nearest x2 upsample) on (N, C, H, W): each strip of rows is computed with one halo row above and below
 * (the convolution's reach), the halo rows of the result are dropped and the strips concatenated. Rows at the image
 * border get the convolution's own zero padding exactly as the whole frame would, so the result equals the
 * whole-frame computation (up to the kernels' summation order). The point is memory: the full-size temporaries
 * (normalised and activated copies, the 4x upsampled map, oneDNN's layout reorders) exist one strip at a time.
 * The budget comes from the memory plan ({@code VaeMemory} models both ways); whole frames are the fastest.
 */
final class RowStrips {
    /** Shared, mutable budget: the largest temporary a strip may need, in bytes; {@code Long.MAX_VALUE} = off. */
    static final class Budget {
        private volatile long bytes;

        Budget(long bytes) {
            set(bytes);
        }

        long bytes() {
            return bytes;
        }

        void set(long bytes) {
            if (bytes < 1) {
                throw new IllegalArgumentException("strip budget must be positive, got " + bytes);
            }
            this.bytes = bytes;
        }
    }

    /** Maps an input strip (N, C, h, W) to the op's output for those rows, (N, C', scale*h, scale*W). */
    @FunctionalInterface
    interface StripOp {
        Tensor apply(Tensor strip, long firstRow, long endRow);
    }

    /** Number of strips evaluated so far in this JVM (for tests and diagnostics). */
    static final java.util.concurrent.atomic.AtomicLong STRIPS = new java.util.concurrent.atomic.AtomicLong();

    private RowStrips() {
    }

    /**
     * Applies {@code op} to {@code x} in strips whose largest temporary (estimated as {@code bytesPerInputRow} per
     * input row) stays within {@code budget}; the whole frame at once when it fits.
     *
     * @param scale output rows per input row (1, or 2 after an upsample)
     */
    static Tensor apply(Tensor x, int scale, long bytesPerInputRow, Budget budget, StripOp op) {
        long h = x.size(2);
        long rows = Math.max(1, budget.bytes() / Math.max(1, bytesPerInputRow));
        if (rows >= h) {
            return op.apply(x, 0, h);
        }
        List<Tensor> parts = new ArrayList<>();
        try (TensorScope s = TensorScope.open()) {
            for (long r0 = 0; r0 < h; r0 += rows) {
                long r1 = Math.min(h, r0 + rows);
                STRIPS.incrementAndGet();
                long a = Math.max(0, r0 - 1);
                long b = Math.min(h, r1 + 1);
                try (TensorScope strip = TensorScope.open()) {
                    Tensor y = op.apply(x.slice(2, a, b), a, b);
                    parts.add(strip.keep(y.slice(2, scale * (r0 - a), scale * (r1 - a))));
                }
            }
            return s.keep(Ops.concat(parts, 2));
        }
    }
}
