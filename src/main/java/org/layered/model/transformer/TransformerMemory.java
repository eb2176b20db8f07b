package org.layered.model.transformer;

import org.layered.engine.DType;
import org.layered.weights.residency.ActivationLedger;
import org.layered.weights.residency.ActivationLedger.Buf;

import java.util.function.ToLongFunction;

/**
 * The tensor memory of one {@link QwenImageTransformer#forward} pass, replayed on an {@link ActivationLedger} from
 * the shapes alone: every result of at least sequence length the code allocates, in its order, freed where the code
 * frees it (the per-block scopes, the joined q/k/v, the MLP's 4D-wide hidden, the float32 RoPE halves). Results of
 * batch size only (modulation vectors, the timestep embedding) are left out: a few kilobytes. Kept in step with
 * {@code DoubleStreamBlock}, {@code JointAttention} and {@code Layer3DRope.rotate}; the planner's tests compare its
 * peaks with the engine's measured ones.
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
        long s = imageTokens;
        long t = textTokens;
        long d = config.innerDim();
        l.open();
        l.open();
        acquire(l, "input layers");
        Buf img = l.alloc(dtype, s, d);
        l.open(); // txt_norm: RMS-normalised, then times the weight
        l.alloc(dtype, t, config.jointAttentionDim());
        Buf normed = l.keep(l.alloc(dtype, t, config.jointAttentionDim()));
        l.close();
        Buf txt = l.alloc(dtype, t, d);
        l.free(normed);
        l.keep(img);
        l.keep(txt);
        l.close();
        long pairs = config.attentionHeadDim() / 2; // RoPE tables, float32 cos and sin
        l.alloc(DType.F32, s, pairs);
        l.alloc(DType.F32, s, pairs);
        l.alloc(DType.F32, t, pairs);
        l.alloc(DType.F32, t, pairs);
        if (textMask) {
            l.alloc(DType.BOOL, s);
            l.alloc(DType.BOOL, t + s);
        }
        for (int i = 0; i < config.numLayers(); i++) {
            l.open();
            acquire(l, "block " + i);
            Buf[] next = block(l, img, txt, s, t, d);
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
        normModulate(l, s, d);
        Buf out = l.keep(l.alloc(dtype, s, config.outFeatures()));
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

    /** DoubleStreamBlock.forward: returns {text, image}; the post-attention streams stay in the caller's scope. */
    private Buf[] block(ActivationLedger l, Buf img, Buf txt, long s, long t, long d) {
        l.open();
        normModulate(l, s, d);
        normModulate(l, t, d);
        Buf[] attn = jointAttention(l, s, t, d);
        l.keep(attn[0]);
        l.keep(attn[1]);
        l.close();
        Buf img2 = gatedAdd(l, s, d);
        l.free(attn[0]);
        Buf txt2 = gatedAdd(l, t, d);
        l.free(attn[1]);
        Buf img3 = mlpResidual(l, s, d);
        Buf txt3 = mlpResidual(l, t, d);
        return new Buf[] {txt3, img3};
    }

    /** LayerNorm, scale, shift: at most two temporaries live; the result stays. */
    private Buf normModulate(ActivationLedger l, long n, long d) {
        l.open();
        Buf normed = l.alloc(dtype, n, d);
        l.alloc(dtype, n, d);
        l.free(normed);
        Buf out = l.keep(l.alloc(dtype, n, d));
        l.close();
        return out;
    }

    private Buf gatedAdd(ActivationLedger l, long n, long d) {
        l.open();
        l.alloc(dtype, n, d);
        Buf out = l.keep(l.alloc(dtype, n, d));
        l.close();
        return out;
    }

    private Buf mlpResidual(ActivationLedger l, long n, long d) {
        l.open();
        Buf in = normModulate(l, n, d);
        Buf h = l.alloc(dtype, n, 4 * d);
        l.free(in);
        Buf a = l.alloc(dtype, n, 4 * d);
        l.free(h);
        l.alloc(dtype, n, d);
        l.free(a);
        Buf out = l.keep(gatedAdd(l, n, d));
        l.close();
        return out;
    }

    /** JointAttention.forward: returns {image output, text output}. */
    private Buf[] jointAttention(ActivationLedger l, long s, long t, long d) {
        l.open();
        Buf q = joined(l, s, t, d, true);
        Buf k = joined(l, s, t, d, true);
        Buf v = joined(l, s, t, d, false);
        l.alloc(dtype, t + s, d); // attention output
        l.free(q);
        l.free(k);
        l.free(v);
        Buf joint = l.keep(l.alloc(dtype, t + s, d));
        l.close();
        l.open();
        Buf txtOut = l.alloc(dtype, t, d);
        Buf imgOut = l.alloc(dtype, s, d);
        l.free(joint);
        l.keep(imgOut);
        l.keep(txtOut);
        l.close();
        return new Buf[] {imgOut, txtOut};
    }

    private Buf joined(ActivationLedger l, long s, long t, long d, boolean normRope) {
        l.open();
        projected(l, t, d, normRope);
        projected(l, s, d, normRope);
        Buf out = l.keep(l.alloc(dtype, t + s, d));
        l.close();
        return out;
    }

    /** A stream's projection, RMS-normed and rotated when asked (the projection freed then). */
    private void projected(ActivationLedger l, long n, long d, boolean normRope) {
        Buf p = l.alloc(dtype, n, d);
        if (!normRope) {
            return;
        }
        l.open();
        l.open();
        l.alloc(dtype, n, d); // RMS-normalised
        Buf normed = l.keep(l.alloc(dtype, n, d)); // times the weight
        l.close();
        l.keep(rotate(l, n, d));
        l.free(normed);
        l.close();
        l.free(p);
    }

    /** Layer3DRope.rotate: float32 halves freed pairwise, the float32 result rounded to the compute dtype. */
    private Buf rotate(ActivationLedger l, long n, long d) {
        l.open();
        if (dtype != DType.F32) {
            l.alloc(DType.F32, n, d);
        }
        for (int part = 0; part < 2; part++) {
            Buf a = l.alloc(DType.F32, n, d / 2);
            Buf b = l.alloc(DType.F32, n, d / 2);
            l.alloc(DType.F32, n, d / 2);
            l.free(a);
            l.free(b);
        }
        Buf joined = l.alloc(DType.F32, n, d);
        Buf out = l.keep(dtype == DType.F32 ? joined : l.alloc(dtype, n, d));
        l.close();
        return out;
    }
}
