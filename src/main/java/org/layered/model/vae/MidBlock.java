package org.layered.model.vae;

import org.layered.engine.Tensor;
import org.layered.engine.TensorScope;

import java.io.IOException;

/** {@code QwenImageMidBlock(dim, num_layers=1)}: residual block, attention, residual block. */
final class MidBlock implements VaeBlock {
    private final ResidualBlock res0;
    private final AttentionBlock attn;
    private final ResidualBlock res1;

    MidBlock(VaeWeights w, String prefix, int dim, RowStrips.Budget budget) throws IOException {
        res0 = new ResidualBlock(w, prefix + ".resnets.0", dim, dim, budget);
        attn = new AttentionBlock(w, prefix + ".attentions.0", dim);
        res1 = new ResidualBlock(w, prefix + ".resnets.1", dim, dim, budget);
    }

    @Override
    public Tensor forward(Tensor x) {
        try (TensorScope s = TensorScope.open()) {
            Tensor a = res0.forward(x);
            Tensor b = attn.forward(a);
            a.close();
            Tensor c = res1.forward(b);
            b.close();
            return s.keep(c);
        }
    }
}
