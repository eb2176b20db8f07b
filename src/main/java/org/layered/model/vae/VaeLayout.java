package org.layered.model.vae;

import org.layered.weights.WeightCheck;
import org.layered.weights.WeightSource;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The diffusers state-dict layout of an {@code AutoencoderKLQwenImage} for a config: every tensor name with its
 * shape, in module order, including the {@code time_conv} tensors the single-frame path never reads. The loader
 * checks a checkpoint against the same shapes; the benchmark uses this to write random checkpoints.
 */
public final class VaeLayout {
    private VaeLayout() {
    }

    /** Name to shape, in module order. */
    public static Map<String, long[]> parameterShapes(VaeConfig c) {
        Map<String, long[]> m = new LinkedHashMap<>();
        int[] enc = c.encoderDims();
        int[] mult = c.dimMult();
        boolean[] temporal = c.temporalDownsample();
        double[] attnScales = c.attnScales();
        conv3(m, "encoder.conv_in", c.inputChannels(), enc[0]);
        int k = 0;
        double scale = 1.0;
        for (int i = 0; i < mult.length; i++) {
            int in = enc[i];
            int out = enc[i + 1];
            for (int r = 0; r < c.numResBlocks(); r++) {
                res(m, "encoder.down_blocks." + k++, in, out);
                for (double a : attnScales) {
                    if (a == scale) {
                        attn(m, "encoder.down_blocks." + k++, out);
                        break;
                    }
                }
                in = out;
            }
            if (i != mult.length - 1) {
                String p = "encoder.down_blocks." + k++;
                m.put(p + ".resample.1.weight", new long[] {out, out, 3, 3});
                m.put(p + ".resample.1.bias", new long[] {out});
                if (temporal[i]) {
                    m.put(p + ".time_conv.weight", new long[] {out, out, 3, 1, 1});
                    m.put(p + ".time_conv.bias", new long[] {out});
                }
                scale /= 2.0;
            }
        }
        int top = enc[enc.length - 1];
        mid(m, "encoder.mid_block", top);
        m.put("encoder.norm_out.gamma", new long[] {top, 1, 1, 1});
        conv3(m, "encoder.conv_out", top, 2 * c.zDim());
        conv1(m, "quant_conv", 2 * c.zDim(), 2 * c.zDim());
        conv1(m, "post_quant_conv", c.zDim(), c.zDim());

        int[] dec = c.decoderDims();
        conv3(m, "decoder.conv_in", c.zDim(), dec[0]);
        mid(m, "decoder.mid_block", dec[0]);
        int out = dec[0];
        for (int i = 0; i < mult.length; i++) {
            int in = i > 0 ? dec[i] / 2 : dec[i];
            out = dec[i + 1];
            for (int r = 0; r < c.numResBlocks() + 1; r++) {
                res(m, "decoder.up_blocks." + i + ".resnets." + r, r == 0 ? in : out, out);
            }
            if (i != mult.length - 1) {
                String p = "decoder.up_blocks." + i + ".upsamplers.0";
                m.put(p + ".resample.1.weight", new long[] {out / 2, out, 3, 3});
                m.put(p + ".resample.1.bias", new long[] {out / 2});
                if (temporal[temporal.length - 1 - i]) {
                    m.put(p + ".time_conv.weight", new long[] {2L * out, out, 3, 1, 1});
                    m.put(p + ".time_conv.bias", new long[] {2L * out});
                }
            }
        }
        m.put("decoder.norm_out.gamma", new long[] {out, 1, 1, 1});
        conv3(m, "decoder.conv_out", out, c.inputChannels());
        return m;
    }

    /**
     * Checks that {@code source} holds exactly the tensors {@code config} implies, each with its shape and a floating
     * dtype: the check {@code layered info} shares with loading.
     *
     * @throws IOException one line naming the weights file and the problems
     */
    public static void check(VaeConfig config, WeightSource source) throws IOException {
        WeightCheck c = new WeightCheck(source, "VAE weights");
        Map<String, long[]> expected = parameterShapes(config);
        expected.forEach(c::expect);
        List<String> extra = new ArrayList<>();
        for (String n : source.names()) {
            if (!expected.containsKey(n)) {
                extra.add(n);
            }
        }
        if (!extra.isEmpty()) {
            c.problem(extra.size() + " tensor(s) the config does not account for, e.g. "
                    + extra.subList(0, Math.min(5, extra.size())));
        }
        c.throwIfAny("its config.json (base_dim=" + config.baseDim() + ", z_dim=" + config.zDim()
                + "; is config.json from the same model?)");
    }

    /** Total number of parameters (126,897,716 for the released model). */
    public static long parameterCount(VaeConfig c) {
        long n = 0;
        for (long[] s : parameterShapes(c).values()) {
            long p = 1;
            for (long d : s) {
                p *= d;
            }
            n += p;
        }
        return n;
    }

    private static void conv3(Map<String, long[]> m, String p, int in, int out) {
        m.put(p + ".weight", new long[] {out, in, 3, 3, 3});
        m.put(p + ".bias", new long[] {out});
    }

    private static void conv1(Map<String, long[]> m, String p, int in, int out) {
        m.put(p + ".weight", new long[] {out, in, 1, 1, 1});
        m.put(p + ".bias", new long[] {out});
    }

    private static void res(Map<String, long[]> m, String p, int in, int out) {
        m.put(p + ".norm1.gamma", new long[] {in, 1, 1, 1});
        conv3(m, p + ".conv1", in, out);
        m.put(p + ".norm2.gamma", new long[] {out, 1, 1, 1});
        conv3(m, p + ".conv2", out, out);
        if (in != out) {
            conv1(m, p + ".conv_shortcut", in, out);
        }
    }

    private static void attn(Map<String, long[]> m, String p, int dim) {
        m.put(p + ".norm.gamma", new long[] {dim, 1, 1});
        m.put(p + ".to_qkv.weight", new long[] {3L * dim, dim, 1, 1});
        m.put(p + ".to_qkv.bias", new long[] {3L * dim});
        m.put(p + ".proj.weight", new long[] {dim, dim, 1, 1});
        m.put(p + ".proj.bias", new long[] {dim});
    }

    private static void mid(Map<String, long[]> m, String p, int dim) {
        res(m, p + ".resnets.0", dim, dim);
        attn(m, p + ".attentions.0", dim);
        res(m, p + ".resnets.1", dim, dim);
    }
}
