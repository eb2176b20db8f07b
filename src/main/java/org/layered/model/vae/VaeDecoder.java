package org.layered.model.vae;

import org.layered.engine.Ops;
import org.layered.engine.Tensor;
import org.layered.engine.TensorScope;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The top-level {@code post_quant_conv} followed by {@code QwenImageDecoder3d}, for single frames (N, z_dim, h, w) to
 * (N, C_in, 8h, 8w) before the final clamp: {@code conv_in}, {@code mid_block}, {@code up_blocks} (each
 * {@code num_res_blocks + 1} residual blocks, then an upsampler halving the channels except for the last), then
 * {@code norm_out}, SiLU, {@code conv_out}.
 */
final class VaeDecoder {
    private final Conv2dLayer postQuantConv;
    private final Conv2dLayer convIn;
    private final MidBlock mid;
    private final List<List<VaeBlock>> upBlocks = new ArrayList<>();
    private final ChannelRmsNorm normOut;
    private final Conv2dLayer convOut;
    private final RowStrips.Budget budget;
    private final int last;

    VaeDecoder(VaeWeights w, VaeConfig c, RowStrips.Budget budget) throws IOException {
        this.budget = budget;
        int[] dims = c.decoderDims();
        int stages = c.dimMult().length;
        boolean[] temporal = c.temporalDownsample();
        postQuantConv = Conv2dLayer.causal1(w, "post_quant_conv", c.zDim(), c.zDim());
        convIn = Conv2dLayer.causal3(w, "decoder.conv_in", c.zDim(), dims[0]);
        mid = new MidBlock(w, "decoder.mid_block", dims[0], budget);
        int out = dims[0];
        for (int i = 0; i < stages; i++) {
            int in = i > 0 ? dims[i] / 2 : dims[i];
            out = dims[i + 1];
            String prefix = "decoder.up_blocks." + i;
            List<VaeBlock> blocks = new ArrayList<>();
            for (int r = 0; r < c.numResBlocks() + 1; r++) {
                blocks.add(new ResidualBlock(w, prefix + ".resnets." + r, r == 0 ? in : out, out, budget));
            }
            if (i != stages - 1) {
                // the decoder uses temperal_downsample reversed
                boolean temporalUp = temporal[temporal.length - 1 - i];
                blocks.add(Resample.up(w, prefix + ".upsamplers.0", out, temporalUp, budget));
            }
            upBlocks.add(blocks);
        }
        last = out;
        normOut = ChannelRmsNorm.load(w, "decoder.norm_out", out, false);
        convOut = Conv2dLayer.causal3(w, "decoder.conv_out", out, c.inputChannels());
    }

    /**
     * Decoded frames before the clamp, in the caller's scope. Feature maps are laid out channels-last inside (see the
     * package notes); the frames come back in the standard layout.
     */
    Tensor forward(Tensor z, StageTap tap) {
        try (TensorScope s = TensorScope.open()) {
            Tensor p = postQuantConv.forward(Ops.channelsLast(z));
            tap.accept("post_quant_conv", p);
            Tensor h = convIn.forward(p);
            p.close();
            tap.accept("dec.conv_in", h);
            Tensor m = mid.forward(h);
            h.close();
            h = m;
            tap.accept("dec.mid_block", h);
            for (int i = 0; i < upBlocks.size(); i++) {
                for (VaeBlock b : upBlocks.get(i)) {
                    Tensor next = b.forward(h);
                    h.close();
                    h = next;
                }
                tap.accept("dec.up_blocks." + i, h);
            }
            Tensor o = ResidualBlock.normActConvStrips(h, normOut, convOut, last, budget);
            h.close();
            tap.accept("dec.conv_out", o);
            return s.keep(Ops.contiguous(o));
        }
    }
}
