package org.layered.model.vae;

import org.layered.engine.Tensor;

/**
 * The encoder's diagonal Gaussian ({@code DiagonalGaussianDistribution}): {@code mean} and {@code logvar}
 * (clamped to [-30, 20]), both (B, z_dim, 1, h, w). The pipeline only uses the {@link #mode() mode} (the mean);
 * nothing here samples.
 */
public record Posterior(Tensor mean, Tensor logvar) {
    /** The posterior mode, which equals the mean (upstream {@code sample_mode="argmax"}). */
    public Tensor mode() {
        return mean;
    }

    /** {@code exp(0.5 * logvar)}, a new tensor in the current scope. */
    public Tensor std() {
        return logvar.mul(0.5).exp();
    }
}
