package org.layered.model.vae;

import org.layered.engine.Ops;
import org.layered.engine.Tensor;
import org.layered.engine.TensorScope;

import java.io.IOException;

/**
 * {@code QwenImageResample} for a single frame. Down: zero-pad right and bottom by one, 3x3 stride-2 convolution
 * (C to C). Up: nearest x2 (pixel duplication; upstream's "nearest-exact" in float32 is the same for an exact x2),
 * 3x3 convolution halving the channels. The "3d" variants own a {@code time_conv} that is skipped on the first
 * frame, so it is only checked for presence, never loaded.
 */
final class Resample implements VaeBlock {
    private final Conv2dLayer conv;
    private final boolean up;
    private final RowStrips.Budget budget;

    private Resample(Conv2dLayer conv, boolean up, RowStrips.Budget budget) {
        this.conv = conv;
        this.up = up;
        this.budget = budget;
    }

    static Resample down(VaeWeights w, String prefix, int channels, boolean temporal, RowStrips.Budget budget)
            throws IOException {
        if (temporal) {
            w.expectUnused(prefix + ".time_conv.weight", channels, channels, 3, 1, 1);
            w.expectUnused(prefix + ".time_conv.bias", channels);
        }
        return new Resample(Conv2dLayer.plain(w, prefix + ".resample.1", channels, channels, 3, 2, 0), false, budget);
    }

    static Resample up(VaeWeights w, String prefix, int channels, boolean temporal, RowStrips.Budget budget)
            throws IOException {
        if (temporal) {
            w.expectUnused(prefix + ".time_conv.weight", 2L * channels, channels, 3, 1, 1);
            w.expectUnused(prefix + ".time_conv.bias", 2L * channels);
        }
        return new Resample(Conv2dLayer.plain(w, prefix + ".resample.1", channels, channels / 2, 3, 1, 1), true, budget);
    }

    @Override
    public Tensor forward(Tensor x) {
        if (up) {
            // the x2 map is 4x the input: build it one row strip at a time (exact, see RowStrips)
            long bytesPerRow = x.size(0) * x.size(1) * 2 * x.size(3) * 2 * 4L;
            return RowStrips.apply(x, 2, bytesPerRow, budget, (strip, a, b) -> upConv(strip));
        }
        try (TensorScope s = TensorScope.open()) {
            Tensor t = x.pad(new long[] {0, 1, 0, 1}, 0.0);
            Tensor y = conv.forward(t);
            t.close();
            return s.keep(y);
        }
    }

    private Tensor upConv(Tensor x) {
        try (TensorScope s = TensorScope.open()) {
            Tensor t = Ops.upsampleNearest(x, 2 * x.size(2), 2 * x.size(3));
            Tensor y = conv.forward(t);
            t.close();
            return s.keep(y);
        }
    }
}
