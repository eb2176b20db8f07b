package org.layered.model.text;

import org.layered.engine.Ops;
import org.layered.engine.Tensor;
import org.layered.weights.residency.GroupWeights;
import org.layered.weights.residency.WeightGroup;
import org.layered.weights.WeightSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One Qwen2 / Qwen2.5-VL decoder layer ({@code Qwen2_5_VLDecoderLayer}), pre-norm:
 * <pre>
 *   h = RMSNorm(x);  q,k,v = h Wq^T + bq, h Wk^T + bk, h Wv^T + bv;  M-RoPE(q, k)
 *   x = x + (softmax(q k^T / sqrt(d) + causal/padding mask) v) Wo^T          (GQA: k, v repeated per group; no o bias)
 *   h = RMSNorm(x);  x = x + W_down(SiLU(W_gate h) * (W_up h))               (no MLP biases)
 * </pre>
 * RMSNorm is computed in float32 and cast back before the weight multiplies, as {@code Qwen2RMSNorm}.
 */
public final class Qwen2DecoderLayer {
    static final String INPUT_NORM = "input_layernorm.weight";
    static final String POST_NORM = "post_attention_layernorm.weight";
    static final String Q_W = "self_attn.q_proj.weight";
    static final String Q_B = "self_attn.q_proj.bias";
    static final String K_W = "self_attn.k_proj.weight";
    static final String K_B = "self_attn.k_proj.bias";
    static final String V_W = "self_attn.v_proj.weight";
    static final String V_B = "self_attn.v_proj.bias";
    static final String O_W = "self_attn.o_proj.weight";
    static final String O_B = "self_attn.o_proj.bias";
    static final String GATE = "mlp.gate_proj.weight";
    static final String UP = "mlp.up_proj.weight";
    static final String DOWN = "mlp.down_proj.weight";

    private Qwen2DecoderLayer() {
    }

    /**
     * The weight group of layer {@code index} under {@code layersPrefix} (e.g. {@code model.layers.}), checking
     * every stored shape against the config.
     *
     * @throws IllegalArgumentException naming the missing or mis-shaped tensor
     */
    static WeightGroup group(WeightSource source, String layersPrefix, int index, Qwen2TextConfig c) {
        String prefix = layersPrefix + index + ".";
        List<String> names = new ArrayList<>();
        for (Map.Entry<String, long[]> e : shapes(c).entrySet()) {
            check(source, prefix + e.getKey(), e.getValue());
            names.add(e.getKey());
        }
        long d = c.hiddenSize();
        if (source.contains(prefix + O_B)) { // not in Qwen2.5-VL, tolerated if a variant has it
            check(source, prefix + O_B, new long[] {d});
            names.add(O_B);
        }
        return new WeightGroup("text layer " + index, prefix, names);
    }

    /** The tensors of one decoder layer (local names) with the shapes {@code c} implies. */
    public static Map<String, long[]> shapes(Qwen2TextConfig c) {
        long d = c.hiddenSize();
        long q = (long) c.numHeads() * c.headDim();
        long kv = (long) c.numKvHeads() * c.headDim();
        long f = c.intermediateSize();
        Map<String, long[]> m = new LinkedHashMap<>();
        m.put(INPUT_NORM, new long[] {d});
        m.put(Q_W, new long[] {q, d});
        m.put(Q_B, new long[] {q});
        m.put(K_W, new long[] {kv, d});
        m.put(K_B, new long[] {kv});
        m.put(V_W, new long[] {kv, d});
        m.put(V_B, new long[] {kv});
        m.put(O_W, new long[] {d, q});
        m.put(POST_NORM, new long[] {d});
        m.put(GATE, new long[] {f, d});
        m.put(UP, new long[] {f, d});
        m.put(DOWN, new long[] {d, f});
        return m;
    }

    static void check(WeightSource source, String name, long[] shape) {
        if (!source.contains(name)) {
            throw new IllegalArgumentException("text encoder weight '" + name + "' is missing in "
                    + source.describe());
        }
        long[] s = source.shape(name);
        if (!Arrays.equals(s, shape)) {
            throw new IllegalArgumentException("text encoder weight '" + name + "' has shape " + Arrays.toString(s)
                    + ", the config implies " + Arrays.toString(shape));
        }
    }

    /** {@code Qwen2RMSNorm}: float32 normalisation, cast back, times the weight (one fused op). */
    static Tensor rmsNorm(Tensor x, Tensor weight, double eps) {
        return Ops.rmsNorm(x, weight, eps);
    }

    /**
     * Runs the layer.
     *
     * @param x     (B, L, hidden)
     * @param cos   (B, 1, L, headDim) merged M-RoPE cos, activation dtype
     * @param sin   the same for sin
     * @param mask  bool (B, 1, L, L), true = may attend
     * @param tap   receives {@code q, k} (after bias, before RoPE) and {@code q_rot, k_rot}, as (B, heads, L, headDim)
     */
    static Tensor forward(Qwen2TextConfig c, GroupWeights w, Tensor x, Tensor cos, Tensor sin, Tensor mask,
            Tap tap) {
        return forward(c, w, x, cos, sin, mask, null, -1, tap);
    }

    /**
     * Runs the layer with an optional KV cache: the new keys and values (after RoPE, before the GQA repeat) are
     * appended to layer {@code layer} of {@code cache} and the queries attend to all cached ones.
     *
     * @param mask  bool (B, 1, L, past + L), true = may attend; null only for a single query token (L = 1), which
     *              sees every cached key (computed with the query heads grouped per KV head, no repeat)
     * @param cache null for no cache (then {@code mask} is (B, 1, L, L))
     */
    static Tensor forward(Qwen2TextConfig c, GroupWeights w, Tensor x, Tensor cos, Tensor sin, Tensor mask,
            KvCache cache, int layer, Tap tap) {
        long b = x.size(0);
        long l = x.size(1);
        int hd = c.headDim();
        double eps = c.rmsNormEps();

        Tensor h = rmsNorm(x, w.get(INPUT_NORM), eps);
        Tensor q = Ops.linear(h, w.get(Q_W), w.get(Q_B)).reshape(b, l, c.numHeads(), hd).transpose(1, 2);
        Tensor k = Ops.linear(h, w.get(K_W), w.get(K_B)).reshape(b, l, c.numKvHeads(), hd).transpose(1, 2);
        Tensor v = Ops.linear(h, w.get(V_W), w.get(V_B)).reshape(b, l, c.numKvHeads(), hd).transpose(1, 2);
        tap.tensor("q", q);
        tap.tensor("k", k);
        q = MultimodalRope.apply(q, cos, sin);
        k = MultimodalRope.apply(k, cos, sin);
        tap.tensor("q_rot", q);
        tap.tensor("k_rot", k);
        if (cache != null) {
            Tensor[] kv = cache.append(layer, k, v);
            k = kv[0];
            v = kv[1];
        }
        Tensor a;
        if (mask == null && l == 1 && c.kvGroups() > 1) {
            // one query token: its g query heads per KV head become g query rows of that head (no repeat_kv copy)
            Tensor qg = q.reshape(b, c.numKvHeads(), c.kvGroups(), hd);
            a = Ops.attention(qg, k, v, null).reshape(b, c.numHeads(), 1, hd);
        } else {
            if (mask == null && l != 1) {
                throw new IllegalArgumentException("a mask is needed for " + l + " query tokens");
            }
            if (c.kvGroups() > 1) { // repeat_kv: KV head i serves query heads i*g .. i*g+g-1
                k = k.repeatInterleave(1, c.kvGroups());
                v = v.repeatInterleave(1, c.kvGroups());
            }
            a = Ops.attention(q, k, v, mask); // scale 1/sqrt(headDim)
        }
        a = a.transpose(1, 2).reshape(b, l, (long) c.numHeads() * hd);
        x = x.add(Ops.linear(a, w.get(O_W), w.find(O_B)));

        Tensor h2 = rmsNorm(x, w.get(POST_NORM), eps);
        Tensor gate = Ops.silu(Ops.linear(h2, w.get(GATE), null));
        Tensor up = Ops.linear(h2, w.get(UP), null);
        return x.add(Ops.linear(gate.mul(up), w.get(DOWN), null));
    }

    /** Receives intermediate tensors by local name (valid only during the call). */
    @FunctionalInterface
    interface Tap {
        Tap NONE = (name, t) -> { };

        void tensor(String name, Tensor t);
    }
}
