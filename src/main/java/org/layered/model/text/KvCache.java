package org.layered.model.text;

import org.layered.engine.Ops;
import org.layered.engine.Tensor;
import org.layered.engine.TensorScope;

import java.util.List;

/**
 * The key/value cache of a {@link Qwen2LanguageModel} for incremental decoding (transformers' {@code DynamicCache}):
 * per decoder layer the keys (after RoPE) and values of every token seen so far, {@code (B, kvHeads, T, headDim)}
 * in the compute dtype. The tensors live in a detached {@link TensorScope} owned by the cache, so they outlive the
 * forward calls; {@link #close()} frees them. Not thread-safe; use one cache per sequence.
 */
public final class KvCache implements AutoCloseable {
    private final TensorScope scope = TensorScope.detached();
    private final Tensor[] keys;
    private final Tensor[] values;
    private boolean closed;

    /** An empty cache for a model with {@code layers} decoder layers. */
    public KvCache(int layers) {
        if (layers < 1) {
            throw new IllegalArgumentException("layers must be >= 1, got " + layers);
        }
        keys = new Tensor[layers];
        values = new Tensor[layers];
    }

    public int layers() {
        return keys.length;
    }

    /** Cached tokens (of layer 0; all layers agree between forward calls). */
    public int length() {
        return keys[0] == null ? 0 : (int) keys[0].size(2);
    }

    /**
     * Appends one forward step's keys and values to layer {@code layer}.
     *
     * @return the layer's full keys and values, valid until the next append to that layer or {@link #close()}
     */
    Tensor[] append(int layer, Tensor k, Tensor v) {
        if (closed) {
            throw new IllegalStateException("the KV cache was closed");
        }
        Tensor oldK = keys[layer];
        Tensor oldV = values[layer];
        try (TensorScope.Activation a = scope.activate()) {
            keys[layer] = oldK == null ? k.copy() : Ops.concat(List.of(oldK, k), 2);
            values[layer] = oldV == null ? v.copy() : Ops.concat(List.of(oldV, v), 2);
        }
        if (oldK != null) {
            oldK.close();
            oldV.close();
        }
        return new Tensor[] {keys[layer], values[layer]};
    }

    /** Frees every cached tensor. Idempotent. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            scope.close();
        }
    }
}
