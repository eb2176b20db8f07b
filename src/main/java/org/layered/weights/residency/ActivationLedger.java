package org.layered.weights.residency;

import org.layered.engine.DType;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * A shadow of a computation's tensor memory, for predicting it without running it: the memory models of the model
 * components replay their code's allocations here (fresh results, early frees, scopes, kept results) with sizes from
 * the shapes alone, and read off the peak. The rules are those of the engine's {@code TensorScope} and its memory
 * accounting: a tensor lives from its creation until it is freed or its scope closes, unless kept for the enclosing
 * scope; views cost nothing.
 */
public final class ActivationLedger {
    private final Deque<List<Buf>> frames = new ArrayDeque<>();
    private long live;
    private long peak;

    /** One shadowed tensor. */
    public final class Buf {
        private final long bytes;
        private boolean freed;

        private Buf(long bytes) {
            this.bytes = bytes;
        }

        public long bytes() {
            return bytes;
        }
    }

    public ActivationLedger() {
        frames.push(new ArrayList<>());
    }

    /** Bytes of a tensor of {@code dtype} and the given dimensions. */
    public static long bytes(DType dtype, long... dims) {
        long n = dtype.bytes();
        for (long d : dims) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** A fresh tensor of {@code bytes} in the current scope. */
    public Buf alloc(long bytes) {
        return add(frames.peek(), bytes);
    }

    /** A fresh tensor of {@code dtype} and the given dimensions in the current scope. */
    public Buf alloc(DType dtype, long... dims) {
        return alloc(bytes(dtype, dims));
    }

    /**
     * A tensor in a detached scope (weights, a KV cache): it belongs to no open scope and lives until
     * {@link #free freed}.
     */
    public Buf detached(long bytes) {
        return add(frames.peekLast(), bytes);
    }

    private Buf add(List<Buf> scope, long bytes) {
        Buf b = new Buf(bytes);
        scope.add(b);
        live += bytes;
        peak = Math.max(peak, live);
        return b;
    }

    /** Frees {@code b} now ({@code Tensor.close()}); a second free does nothing. */
    public void free(Buf b) {
        if (b != null && !b.freed) {
            b.freed = true;
            live -= b.bytes;
        }
    }

    /** Opens a scope. */
    public void open() {
        frames.push(new ArrayList<>());
    }

    /** Closes the innermost scope, freeing what it still holds. */
    public void close() {
        if (frames.size() == 1) {
            throw new IllegalStateException("the ledger's root scope cannot be closed");
        }
        frames.pop().forEach(this::free);
    }

    /** Moves {@code b} from the innermost scope to the enclosing one; returns it. */
    public Buf keep(Buf b) {
        if (frames.size() == 1) {
            throw new IllegalStateException("the root scope has no enclosing scope");
        }
        List<Buf> top = frames.pop();
        if (top.remove(b)) {
            frames.peek().add(b);
        }
        frames.push(top);
        return b;
    }

    /** Bytes live now. */
    public long live() {
        return live;
    }

    /** The most bytes live at once so far (since the last {@link #resetPeak()}). */
    public long peak() {
        return peak;
    }

    /** Starts a new peak from the bytes live now. */
    public void resetPeak() {
        peak = live;
    }
}
