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
    private final Thread owner;
    private List<Tensor> tensors = new ArrayList<>();
    private boolean closed;

    private TensorScope(TensorScope parent) {
        this.parent = parent;
        this.owner = Thread.currentThread();
        TorchEngine.get();
        this.manager = TorchEngine.get().call(() -> (PtNDManager) NDManager.newBaseManager());
    }

    /** Opens a scope nested in the current one (or a root scope) on this thread. */
    public static TensorScope open() {
        Deque<TensorScope> stack = STACK.get();
        TensorScope s = new TensorScope(stack.peek());
        stack.push(s);
        return s;
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
            throw new IllegalStateException("a root scope has no enclosing scope to keep tensors in");
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
    public void close() {
        if (closed) {
            return;
        }
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("a TensorScope must be closed on the thread that opened it");
        }
        Deque<TensorScope> stack = STACK.get();
        if (stack.peek() != this) {
            throw new IllegalStateException("TensorScopes must be closed innermost first");
        }
        stack.pop();
        closed = true;
        for (Tensor t : tensors) {
            t.close();
        }
        tensors = List.of();
        manager.close();
    }
}
