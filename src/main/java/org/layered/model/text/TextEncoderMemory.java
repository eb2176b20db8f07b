package org.layered.model.text;

import org.layered.engine.DType;
import org.layered.model.text.vision.Qwen25VisionTower;
import org.layered.model.text.vision.VisionConfig;
import org.layered.weights.residency.ActivationLedger;
import org.layered.weights.residency.ActivationLedger.Buf;
import org.layered.weights.residency.GroupSize;
import org.layered.weights.residency.WeightGroup;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToLongFunction;

/**
 * The Qwen2.5-VL text encoder's memory, from its config alone: the weight groups prompt encoding and captioning
 * materialise (the token embedding table is never materialised: its rows are read from the file), and the tensors
 * of a prompt-encoding pass ({@link Qwen2LanguageModel#forward}: every decoder layer's results stay until the layer
 * is done) and of a caption (the vision tower, the prefill, then one token at a time with the KV cache growing to the
 * whole sequence), replayed on an {@link ActivationLedger}. Kept in step with {@code Qwen2DecoderLayer},
 * {@code Qwen2LanguageModel}, {@code KvCache} and {@code Qwen25VisionTower}.
 */
public final class TextEncoderMemory {
    private final Qwen25VLConfig config;
    private final DType dtype;
    private final ToLongFunction<String> acquired;

    /**
     * @param dtype    the compute dtype
     * @param acquired bytes acquiring a weight group allocates in the caller's scope, by group name (0 for groups
     *                 held in the compute dtype, the group for groups read from the file)
     */
    public TextEncoderMemory(Qwen25VLConfig config, DType dtype, ToLongFunction<String> acquired) {
        this.config = config;
        this.dtype = dtype;
        this.acquired = acquired;
    }

    /** The language model's groups (decoder layers, final norm), as prompt encoding holds them. */
    public static List<GroupSize> promptGroups(Qwen25VLConfig c) {
        Qwen2TextConfig t = c.text();
        List<GroupSize> out = new ArrayList<>();
        Map<String, long[]> layer = Qwen2DecoderLayer.shapes(t);
        for (int i = 0; i < t.numLayers(); i++) {
            out.add(size("text layer " + i, layer));
        }
        out.add(size("text final norm", Map.of("norm.weight", new long[] {t.hiddenSize()})));
        return out;
    }

    /** Captioning's groups: the vision tower, the language model and {@code lm_head}. */
    public static List<GroupSize> captionGroups(Qwen25VLConfig c) {
        VisionConfig v = c.vision();
        List<GroupSize> out = new ArrayList<>();
        out.add(size("vision patch embedding", Map.of("patch", Qwen25VisionTower.patchShape(v))));
        Map<String, long[]> block = Qwen25VisionTower.blockShapes(v);
        for (int i = 0; i < v.depth(); i++) {
            out.add(size("vision block " + i, block));
        }
        out.add(size("vision merger", Qwen25VisionTower.mergerShapes(v)));
        out.addAll(promptGroups(c));
        out.add(size("lm head", Map.of("weight", new long[] {c.text().vocabSize(), c.text().hiddenSize()})));
        return out;
    }

    private static GroupSize size(String name, Map<String, long[]> shapes) {
        return GroupSize.of(new WeightGroup(name, "", new ArrayList<>(shapes.keySet())), new HashMap<>(shapes));
    }

    /**
     * Prompt encoding of batch-1 prompts of the given token lengths in one layer-by-layer pass; leaves their hidden
     * states in the ledger's current scope.
     */
    public void encode(ActivationLedger l, long... lengths) {
        Qwen2TextConfig t = config.text();
        l.open();
        Buf[] hidden = new Buf[lengths.length];
        for (int i = 0; i < lengths.length; i++) {
            hidden[i] = l.alloc(dtype, lengths[i], t.hiddenSize()); // embeddings
            l.alloc(dtype, 2, lengths[i], t.headDim()); // M-RoPE cos, sin
            l.alloc(DType.BOOL, lengths[i], lengths[i]); // causal mask
        }
        for (int layer = 0; layer < t.numLayers(); layer++) {
            l.open();
            acquire(l, "text layer " + layer);
            for (int i = 0; i < lengths.length; i++) {
                l.open();
                Buf next = l.keep(decoderLayer(l, lengths[i], lengths[i], false));
                l.close();
                l.keep(next);
                l.free(hidden[i]);
                hidden[i] = next;
            }
            l.close();
        }
        finalNorm(l, hidden);
        l.close();
    }

    /**
     * One automatic caption: the vision tower over {@code patches} patches, the prefill of {@code promptTokens}
     * (image tokens included), then {@code newTokens} single-token steps with the KV cache.
     */
    public void caption(ActivationLedger l, long patches, long promptTokens, int newTokens) {
        vision(l, patches);
        Qwen2TextConfig t = config.text();
        long kv = (long) t.numKvHeads() * t.headDim();
        l.open();
        l.alloc(dtype, promptTokens, t.hiddenSize()); // input embeddings, image tokens merged in
        // the cache: its own scope, each layer's keys and values for the whole sequence (the old copy is freed as
        // the new one is made)
        Buf[][] cache = new Buf[t.numLayers()][];
        // the prefill, then the last of the single-token steps: the steps between differ only in the cache, which
        // grows by a token each, so the last one's peak is theirs
        long[][] steps = {{promptTokens, 0}, {1, promptTokens + newTokens - 1}};
        for (long[] step : steps) {
            long tokens = step[0];
            long length = step[1];
            l.open();
            Buf hidden = null;
            l.alloc(dtype, 2, tokens, t.headDim()); // M-RoPE cos, sin
            if (tokens > 1) {
                l.alloc(DType.BOOL, tokens, length + tokens);
            }
            for (int layer = 0; layer < t.numLayers(); layer++) {
                l.open();
                acquire(l, "text layer " + layer);
                Buf[] old = cache[layer];
                long bytes = ActivationLedger.bytes(dtype, length + tokens, kv);
                cache[layer] = new Buf[] {l.detached(bytes), l.detached(bytes)};
                if (old != null) {
                    l.free(old[0]);
                    l.free(old[1]);
                }
                Buf next = l.keep(decoderLayer(l, tokens, length + tokens, true));
                l.close();
                if (hidden != null) {
                    l.free(hidden);
                }
                hidden = next;
            }
            Buf[] out = finalNorm(l, new Buf[] {hidden});
            l.alloc(dtype, t.vocabSize()); // the last position's logits
            l.free(out[0]);
            l.close();
        }
        for (Buf[] kv2 : cache) {
            l.free(kv2[0]);
            l.free(kv2[1]);
        }
        l.close();
    }

    /** The final RMS norm of each hidden state (its weight group acquired once). */
    private Buf[] finalNorm(ActivationLedger l, Buf[] hidden) {
        l.open();
        acquire(l, "text final norm");
        Buf[] out = new Buf[hidden.length];
        for (int i = 0; i < hidden.length; i++) {
            l.alloc(hidden[i].bytes());
            out[i] = l.keep(l.alloc(hidden[i].bytes()));
            l.free(hidden[i]);
        }
        l.close();
        return out;
    }

    private void acquire(ActivationLedger l, String group) {
        long bytes = acquired.applyAsLong(group);
        if (bytes > 0) {
            l.alloc(bytes);
        }
    }

    /**
     * Qwen2DecoderLayer.forward over {@code n} new tokens attending to {@code keys} positions: every result stays
     * until the layer returns.
     */
    private Buf decoderLayer(ActivationLedger l, long n, long keys, boolean cached) {
        Qwen2TextConfig t = config.text();
        long d = t.hiddenSize();
        long q = (long) t.numHeads() * t.headDim();
        long kv = (long) t.numKvHeads() * t.headDim();
        long f = t.intermediateSize();
        l.alloc(dtype, 2 * n, d); // RMS-normalised, times the weight
        l.alloc(dtype, n, q);
        l.alloc(dtype, 2 * n, kv);
        rotateHalf(l, n, q);
        rotateHalf(l, n, kv);
        boolean singleQuery = cached && n == 1 && t.kvGroups() > 1;
        if (!singleQuery && t.kvGroups() > 1) {
            l.alloc(dtype, 2 * keys, q); // repeat_kv of keys and values
        }
        l.alloc(dtype, n, q); // attention
        if (n > 1) {
            l.alloc(dtype, n, q); // back to (n, heads x head dim): a copy
        }
        l.alloc(dtype, 2 * n, d); // o_proj, residual
        l.alloc(dtype, 2 * n, d); // post-attention norm
        l.alloc(dtype, 4 * n, f); // gate, SiLU, up, product
        l.alloc(dtype, n, d); // down_proj
        return l.alloc(dtype, n, d); // residual: the layer's output
    }

    /** MultimodalRope.apply (rotate-half): negated half, joined, times cos, times sin, sum. */
    private void rotateHalf(ActivationLedger l, long n, long width) {
        l.alloc(dtype, n, width / 2);
        l.alloc(dtype, 4 * n, width);
    }

    /** Qwen25VisionTower.forward over {@code patches} patches: leaves the merged image tokens. */
    private void vision(ActivationLedger l, long patches) {
        VisionConfig v = config.vision();
        long d = v.hiddenSize();
        long n = patches;
        l.open();
        l.open();
        acquire(l, "vision patch embedding");
        l.alloc(dtype, n, d); // patch embedding
        Buf x = l.keep(l.alloc(dtype, n, d)); // in window order
        l.close();
        l.alloc(DType.F32, 2, n, v.headDim()); // rotary cos, sin
        for (int b = 0; b < v.depth(); b++) {
            l.open();
            acquire(l, "vision block " + b);
            Buf next = l.keep(visionBlock(l, n, v.isFullAttention(b)));
            l.close();
            l.free(x);
            x = next;
        }
        l.open();
        acquire(l, "vision merger");
        long tokens = n / v.mergeUnit();
        l.alloc(dtype, 2 * n, d); // RMS-normalised, times the weight
        l.alloc(dtype, 2 * n, d); // fc1, GELU
        l.alloc(dtype, tokens, v.outHiddenSize()); // fc2
        l.keep(l.alloc(dtype, tokens, v.outHiddenSize())); // back to image order
        l.close();
        l.free(x);
        l.close();
    }

    /** One vision block (window or full attention); every result stays until the block returns. */
    private Buf visionBlock(ActivationLedger l, long n, boolean full) {
        VisionConfig v = config.vision();
        long d = v.hiddenSize();
        long f = v.intermediateSize();
        l.alloc(dtype, 2 * n, d); // RMS-normalised, times the weight
        l.alloc(dtype, 3 * n, d); // qkv
        for (int i = 0; i < 2; i++) { // q, k: rotate-half in float32
            if (dtype != DType.F32) {
                l.alloc(DType.F32, n, d);
            }
            l.alloc(DType.F32, n, d / 2);
            l.alloc(DType.F32, 4 * n, d);
            if (dtype != DType.F32) {
                l.alloc(dtype, n, d);
            }
        }
        l.alloc(dtype, full ? n : 2 * n, d); // attention (per window, then joined)
        l.alloc(dtype, n, d); // back to (n, hidden): a copy
        l.alloc(dtype, 2 * n, d); // proj, residual
        l.alloc(dtype, 2 * n, d); // norm2
        l.alloc(dtype, 4 * n, f); // gate, SiLU, up, product
        l.alloc(dtype, n, d); // down
        return l.alloc(dtype, n, d);
    }
}
