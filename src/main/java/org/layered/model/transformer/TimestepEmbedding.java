package org.layered.model.transformer;

import org.layered.weights.residency.GroupWeights;
import org.layered.engine.DType;
import org.layered.engine.Ops;
import org.layered.engine.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * Upstream {@code QwenTimestepProjEmbeddings}: {@code Timesteps(256, flip_sin_to_cos=True, downscale_freq_shift=0,
 * scale=1000)}, then {@code TimestepEmbedding(256, D)} (linear, SiLU, linear), plus the row
 * {@code addition_t_embedding[additional_t_cond]} when the config has {@code use_additional_t_cond}.
 */
public final class TimestepEmbedding {
    static final String LINEAR_1 = "time_text_embed.timestep_embedder.linear_1.";
    static final String LINEAR_2 = "time_text_embed.timestep_embedder.linear_2.";
    static final String ADDITION = "time_text_embed.addition_t_embedding.weight";

    /**
     * {@code f_i = exp(-ln(10000) * i / 128)}, i = 0..127, as upstream's float32 {@code torch.exp} gives them.
     *
     * <p>Arguments reach 1000 * f_i, so one ulp of f_i moves {@code cos} by up to 6e-5: the frequencies must be
     * the reference's to the bit. PyTorch's vectorised CPU exp is SLEEF's {@code expf_u10} (builds with MKL use VML
     * instead, whose results are correctly rounded and differ in 15 of the 128 entries); the reference goldens were
     * computed with SLEEF, which {@link #sleefExpf} reproduces exactly.
     */
    static final float[] FREQUENCIES = frequencies();

    private TimestepEmbedding() {
    }

    private static float[] frequencies() {
        int half = TransformerConfig.TIME_PROJ_DIM / 2;
        float c = (float) -Math.log(10000.0);
        float[] f = new float[half];
        for (int i = 0; i < half; i++) {
            float exponent = c * (float) i / (float) half; // float32 as torch: (c * arange) / half
            f[i] = sleefExpf(exponent);
        }
        return f;
    }

    /** SLEEF {@code xexpf} (1.0-ulp variant, FMA as on AVX2/AVX-512), bit for bit. */
    static float sleefExpf(float d) {
        int q = (int) Math.rint(d * 1.442695040888963407359924681001892137426645954152985934135449406931f);
        float s = Math.fma((float) q, -0.693145751953125f, d);
        s = Math.fma((float) q, -1.428606765330187045e-06f, s);
        float u = 0.000198527617612853646278381f;
        u = Math.fma(u, s, 0.00139304355252534151077271f);
        u = Math.fma(u, s, 0.00833336077630519866943359f);
        u = Math.fma(u, s, 0.0416664853692054748535156f);
        u = Math.fma(u, s, 0.166666671633720397949219f);
        u = Math.fma(u, s, 0.5f);
        u = 1.0f + Math.fma(s * s, u, s);
        u = Math.scalb(u, q);
        if (d < -104f) {
            u = 0f;
        }
        if (d > 100f) {
            u = Float.POSITIVE_INFINITY;
        }
        return u;
    }

    /** The weight names this part reads (top-level names). */
    static List<String> weightNames(TransformerConfig c) {
        List<String> names = new ArrayList<>(List.of(LINEAR_1 + "weight", LINEAR_1 + "bias", LINEAR_2 + "weight",
                LINEAR_2 + "bias"));
        if (c.useAdditionalTCond()) {
            names.add(ADDITION);
        }
        return names;
    }

    /**
     * The 256-wide sinusoid {@code [cos(1000 * t * f_i), sin(...)]}, {@code f_i = exp(-ln(10000) * i / 128)}, float32
     * (B, 256). As upstream, the timestep is first rounded to the compute dtype and the frequencies to the timestep's
     * dtype; the product {@code t * f} is formed before the multiplication by 1000.
     *
     * @param timesteps (B) values as passed to the transformer (sigma, i.e. t/1000)
     * @param compute   the model's compute dtype
     */
    public static Tensor project(Tensor timesteps, DType compute) {
        int half = FREQUENCIES.length;
        Tensor t = Ops.as(timesteps, compute); // timestep.to(hidden_states.dtype)
        Tensor freqs = Ops.fromFloats(FREQUENCIES, new long[] {half}, timesteps.device());
        freqs = Ops.as(Ops.as(freqs, t.dtype()), DType.F32); // .to(timesteps.dtype)
        Tensor arg = Ops.as(t, DType.F32).unsqueeze(1).mul(freqs.unsqueeze(0)).mul(1000.0);
        return Ops.concat(List.of(arg.cos(), arg.sin()), -1);
    }

    /**
     * The conditioning vector {@code temb} (B, D) in the compute dtype.
     *
     * @param additionalTCond (B) int64 row indices into {@code addition_t_embedding}, or null when the config has no
     *                        such table
     */
    public static Tensor embed(GroupWeights w, Tensor timesteps, Tensor additionalTCond, DType compute,
            OpProfile prof, ForwardObserver obs, boolean useAdditionalTCond) {
        Tensor proj = project(timesteps, compute);
        obs.on("time_proj", proj);
        Tensor h = prof.linear(Ops.as(proj, compute), w.get(LINEAR_1 + "weight"), w.get(LINEAR_1 + "bias"));
        h = prof.linear(Ops.silu(h), w.get(LINEAR_2 + "weight"), w.get(LINEAR_2 + "bias"));
        obs.on("timestep_embedder", h);
        if (!useAdditionalTCond) {
            if (additionalTCond != null) {
                throw new IllegalArgumentException("additional_t_cond was given but the config has "
                        + "use_additional_t_cond=false");
            }
            obs.on("temb", h);
            return h;
        }
        if (additionalTCond == null) {
            throw new IllegalArgumentException("the config has use_additional_t_cond=true: additional_t_cond "
                    + "(one 0/1 flag per sample) must be given");
        }
        Tensor table = w.get(ADDITION);
        long[] flags = additionalTCond.toLongs();
        for (long f : flags) {
            if (f < 0 || f >= table.size(0)) {
                throw new IllegalArgumentException("additional_t_cond values must be in [0, " + table.size(0)
                        + "), got " + f);
            }
        }
        Tensor temb = h.add(Ops.as(table.take(Ops.as(additionalTCond, DType.I64)), compute));
        obs.on("temb", temb);
        return temb;
    }
}
