package org.layered.engine;

import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDManager;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * A memory scope: every tensor created on this thread while the scope is the innermost open one belongs to it and
 * is freed when it closes, unless {@link #keep(Tensor) kept}, which hands it to the enclosing scope.
 *
 * <p>Why not plain DJL managers: a DJL op attaches its result to its first operand's manager, so {@code w.matMul(x)}
 * with a long-lived weight would leak into the weight's manager. Scopes follow the code's structure instead:
 * one per block or step, with {@code try (TensorScope s = TensorScope.open()) { ...; return s.keep(out); }}.
 * Native memory is only ever released by closing; the garbage collector never frees it.
 */
public final class TensorScope implements AutoCloseable {
    private static final ThreadLocal<Deque<TensorScope>> STACK = ThreadLocal.withInitial(ArrayDeque::new);

    private final PtNDManager manager;
    private final TensorScope parent;
    private final Thread owner; // null for a detached scope
    private int activations;
    private List<Tensor> tensors = new ArrayList<>();
    private boolean closed;

    private TensorScope(TensorScope parent, Thread owner) {
        this.parent = parent;
        this.owner = owner;
        this.manager = TorchEngine.get().call(() -> (PtNDManager) NDManager.newBaseManager());
    }

    /** Opens a scope nested in the current one (or a root scope) on this thread. */
    public static TensorScope open() {
        Deque<TensorScope> stack = STACK.get();
        TensorScope s = new TensorScope(stack.peek(), Thread.currentThread());
        stack.push(s);
        return s;
    }

    /**
     * A scope for long-lived tensors (a model's weights) that is not on any thread's stack, so it never captures
     * tensors by accident and may be closed from any thread. Fill it while it is {@link #activate() active}.
     */
    public static TensorScope detached() {
        return new TensorScope(null, null);
    }

    /**
     * Makes this detached scope the current one on this thread until the returned handle is closed (the scope
     * itself stays open): {@code try (TensorScope.Activation a = weights.activate()) { load... }}.
     */
    public Activation activate() {
        if (owner != null) {
            throw new IllegalStateException("only a detached scope can be activated; this one is already open");
        }
        if (closed) {
            throw new IllegalStateException("scope is closed");
        }
        Deque<TensorScope> stack = STACK.get();
        stack.push(this);
        activations++;
        return new Activation(this, stack);
    }

    /** Handle of an {@link #activate() activation}; closing it deactivates the scope without closing it. */
    public static final class Activation implements AutoCloseable {
        private final TensorScope scope;
        private final Deque<TensorScope> stack;
        private boolean done;

        private Activation(TensorScope scope, Deque<TensorScope> stack) {
            this.scope = scope;
            this.stack = stack;
        }

        @Override
        public void close() {
            if (done) {
                return;
            }
            if (stack.peek() != scope) {
                throw new IllegalStateException("TensorScopes must be closed innermost first");
            }
            stack.pop();
            scope.activations--;
            done = true;
        }
    }

    /** How many scopes are open on this thread (0 outside any); tests use it to show a run unwound fully. */
    public static int depth() {
        return STACK.get().size();
    }

    /** The innermost open scope of this thread. */
    static TensorScope current() {
        TensorScope s = STACK.get().peek();
        if (s == null) {
            throw new IllegalStateException("no TensorScope is open on this thread: tensors must be created inside "
                    + "try (TensorScope s = TensorScope.open()) { ... }");
        }
        return s;
    }

    PtNDManager manager() {
        return manager;
    }

    void register(Tensor t) {
        tensors.add(t);
    }

    /**
     * Moves {@code t} to the enclosing scope so it survives this one; returns it for chaining.
     *
     * @throws IllegalStateException for a root scope (nothing encloses it; close the tensor yourself)
     */
    public Tensor keep(Tensor t) {
        if (parent == null) {
            throw new IllegalStateException("a root or detached scope has no enclosing scope to keep tensors in");
        }
        if (tensors.remove(t)) {
            t.moveTo(parent);
            parent.register(t);
        }
        return t;
    }

    /** Number of live tensors owned by this scope (for tests and leak checks). */
    public int size() {
        tensors.removeIf(Tensor::isClosed);
        return tensors.size();
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        if (owner == null) {
            if (activations > 0) {
                throw new IllegalStateException("a detached scope cannot be closed while it is active");
            }
        } else {
            if (Thread.currentThread() != owner) {
                throw new IllegalStateException("a TensorScope must be closed on the thread that opened it");
            }
            Deque<TensorScope> stack = STACK.get();
            if (stack.peek() != this) {
                throw new IllegalStateException("TensorScopes must be closed innermost first");
            }
            stack.pop();
        }
        closed = true;
        for (Tensor t : tensors) {
            t.close();
        }
        tensors = List.of();
        manager.close();
    }
}
