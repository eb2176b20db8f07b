package org.layered.model.transformer;

import org.layered.engine.DType;
import org.layered.weights.residency.ActivationLedger;
import org.layered.weights.residency.ActivationLedger.Buf;

import java.util.function.ToLongFunction;

/**
 * The tensor memory of one {@link QwenImageTransformer#forward} pass, replayed on an {@link ActivationLedger} from
 * the shapes alone: every result of at least sequence length the code allocates, in its order, freed where the code
 * frees it (the per-block scopes, the joint q, k and v, the MLP's 4D-wide hidden layer). Results of batch size only
 * (modulation vectors, the timestep embedding) are left out: a few kilobytes; so are the fused ops' own short-lived
 * temporaries (the bf16 rotation's float32 chunks of 256 tokens) and the attention kernel's workspace. Kept in step
 * with {@code DoubleStreamBlock}, {@code JointAttention} and the op library's fused block ops; the planner's tests
 * compare its peaks with the engine's measured ones.
 */
public final class TransformerMemory {
    private final TransformerConfig config;
    private final DType dtype;
    private final ToLongFunction<String> acquired;

    /**
     * @param dtype    the compute dtype
     * @param acquired bytes a weight group's acquisition allocates in the caller's scope, by group name: 0 for groups
     *                 held in the compute dtype, the dequantised linear weights for float8 groups, the whole group
     *                 for groups read from the file
     */
    public TransformerMemory(TransformerConfig config, DType dtype, ToLongFunction<String> acquired) {
        this.config = config;
        this.dtype = dtype;
        this.acquired = acquired;
    }

    /**
     * One forward over {@code imageTokens} image and {@code textTokens} text tokens (batch 1), leaving its output
     * (imageTokens x patch^2 x out_channels) in the ledger's current scope.
     *
     * @param textMask whether a text mask is passed (prompt batches with padding)
     */
    public Buf forward(ActivationLedger l, long imageTokens, long textTokens, boolean textMask) {
        return forward(l, 1, imageTokens, textTokens, textMask);
    }

    /**
     * One forward over a batch of {@code batch} sequences of {@code imageTokens} image and {@code textTokens} text
     * tokens each (both guidance branches as one batch: 2), leaving its output in the ledger's current scope.
     *
     * @param textMask whether a text mask is passed (prompt batches with padding)
     */
    public Buf forward(ActivationLedger l, int batch, long imageTokens, long textTokens, boolean textMask) {
        long s = batch * imageTokens;
        long t = batch * textTokens;
        long d = config.innerDim();
        l.open();
        l.open();
        acquire(l, "input layers");
        Buf img = l.alloc(dtype, s, d);
        // txt_norm: one fused RMS norm with its weight, then txt_in
        Buf normed = l.alloc(dtype, t, config.jointAttentionDim());
        Buf txt = l.alloc(dtype, t, d);
        l.free(normed);
        l.keep(img);
        l.keep(txt);
        l.close();
        long pairs = config.attentionHeadDim() / 2; // RoPE factors, float32 (cos, sin) per token and pair
        l.alloc(DType.F32, imageTokens, 2 * pairs);
        l.alloc(DType.F32, textTokens, 2 * pairs);
        if (textMask) {
            l.alloc(DType.BOOL, s);
            l.alloc(DType.BOOL, t + s);
        }
        for (int i = 0; i < config.numLayers(); i++) {
            l.open();
            acquire(l, "block " + i);
            Buf[] next = block(l, s, t, d);
            l.keep(next[0]);
            l.keep(next[1]);
            l.close();
            l.free(txt);
            l.free(img);
            txt = next[0];
            img = next[1];
        }
        l.open();
        acquire(l, "output layers");
        Buf normedOut = l.alloc(dtype, s, d); // LayerNorm + modulation, one fused op
        Buf out = l.keep(l.alloc(dtype, s, config.outFeatures()));
        l.free(normedOut);
        l.close();
        l.keep(out);
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
     * DoubleStreamBlock.forward on the fused ops: returns {text, image}; the block's inputs stay in the caller's
     * scope.
     */
    private Buf[] block(ActivationLedger l, long s, long t, long d) {
        l.open();
        l.open();
        Buf imgIn = l.alloc(dtype, s, d); // LayerNorm + modulation of each stream
        Buf txtIn = l.alloc(dtype, t, d);
        Buf q = l.alloc(dtype, t + s, d); // q, k (normed and rotated in place) and v over the joint sequence
        Buf k = l.alloc(dtype, t + s, d);
        Buf v = l.alloc(dtype, t + s, d);
        Buf joint = l.keep(l.alloc(dtype, t + s, d)); // the attention output, laid out (B, L + S, D) as a view
        l.free(q);
        l.free(k);
        l.free(v);
        l.free(imgIn);
        l.free(txtIn);
        l.close();
        Buf img2 = l.keep(l.alloc(dtype, s, d)); // output projections with the gated residuals written into them
        Buf txt2 = l.keep(l.alloc(dtype, t, d));
        l.free(joint);
        l.close();
        Buf img3 = feedForward(l, s, d);
        l.free(img2);
        Buf txt3 = feedForward(l, t, d);
        l.free(txt2);
        return new Buf[] {txt3, img3};
    }

    /** LayerNorm + modulation, the 4D-wide hidden layer (GELU in place), then the second layer + gated residual. */
    private Buf feedForward(ActivationLedger l, long n, long d) {
        Buf in = l.alloc(dtype, n, d);
        Buf hidden = l.alloc(dtype, n, 4 * d);
        l.free(in);
        Buf out = l.alloc(dtype, n, d);
        l.free(hidden);
        return out;
    }
}
