package org.layered.model.vae;

import org.layered.engine.Ops;
import org.layered.engine.Tensor;
import org.layered.engine.TensorScope;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code QwenImageEncoder3d} followed by the top-level {@code quant_conv}, for single frames (N, C_in, H, W) to
 * moments (N, 2*z_dim, H/8, W/8): {@code conv_in}, the flat {@code down_blocks} list (per stage
 * {@code num_res_blocks} residual blocks, attention where {@code attn_scales} asks, then a downsample except after
 * the last stage), {@code mid_block}, {@code norm_out}, SiLU, {@code conv_out}, {@code quant_conv}.
 */
final class VaeEncoder {
    private final Conv2dLayer convIn;
    private final List<VaeBlock> downBlocks = new ArrayList<>();
    private final MidBlock mid;
    private final ChannelRmsNorm normOut;
    private final Conv2dLayer convOut;
    private final Conv2dLayer quantConv;
    private final RowStrips.Budget budget;
    private final int top;

    VaeEncoder(VaeWeights w, VaeConfig c, RowStrips.Budget budget) throws IOException {
        this.budget = budget;
        int[] dims = c.encoderDims();
        int[] mult = c.dimMult();
        boolean[] temporal = c.temporalDownsample();
        double[] attnScales = c.attnScales();
        convIn = Conv2dLayer.causal3(w, "encoder.conv_in", c.inputChannels(), dims[0]);
        double scale = 1.0;
        for (int i = 0; i < mult.length; i++) {
            int in = dims[i];
            int out = dims[i + 1];
            for (int r = 0; r < c.numResBlocks(); r++) {
                downBlocks.add(new ResidualBlock(w, "encoder.down_blocks." + downBlocks.size(), in, out, budget));
                if (contains(attnScales, scale)) {
                    downBlocks.add(new AttentionBlock(w, "encoder.down_blocks." + downBlocks.size(), out));
                }
                in = out;
            }
            if (i != mult.length - 1) {
                downBlocks.add(Resample.down(w, "encoder.down_blocks." + downBlocks.size(), out, temporal[i], budget));
                scale /= 2.0;
            }
        }
        top = dims[dims.length - 1];
        mid = new MidBlock(w, "encoder.mid_block", top, budget);
        normOut = ChannelRmsNorm.load(w, "encoder.norm_out", top, false);
        convOut = Conv2dLayer.causal3(w, "encoder.conv_out", top, 2 * c.zDim());
        quantConv = Conv2dLayer.causal1(w, "quant_conv", 2 * c.zDim(), 2 * c.zDim());
    }

    private static boolean contains(double[] values, double v) {
        for (double d : values) {
            if (d == v) {
                return true;
            }
        }
        return false;
    }

    /**
     * Moments {@code [mean | logvar]} of single frames (N, C_in, H, W), in the caller's scope. Feature maps are laid
     * out channels-last inside (see the package notes); the moments come back in the standard layout.
     */
    Tensor forward(Tensor x, StageTap tap) {
        try (TensorScope s = TensorScope.open()) {
            Tensor h = convIn.forward(Ops.channelsLast(x));
            tap.accept("enc.conv_in", h);
            for (int i = 0; i < downBlocks.size(); i++) {
                Tensor next = downBlocks.get(i).forward(h);
                h.close();
                h = next;
                tap.accept("enc.down_blocks." + i, h);
            }
            Tensor m = mid.forward(h);
            h.close();
            tap.accept("enc.mid_block", m);
            Tensor o = ResidualBlock.normActConvStrips(m, normOut, convOut, top, budget);
            m.close();
            tap.accept("enc.conv_out", o);
            Tensor q = quantConv.forward(o);
            o.close();
            tap.accept("quant_conv", q);
            return s.keep(Ops.contiguous(q));
        }
    }
}
