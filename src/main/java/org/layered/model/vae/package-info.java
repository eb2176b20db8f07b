/**
 * The Qwen-Image-Layered RGBA VAE ({@code AutoencoderKLQwenImage}, diffusers) for single images.
 *
 * <p>Entry point: {@link org.layered.model.vae.RgbaVae}. Reductions from upstream, all exact for one frame:
 * <ul>
 *   <li>Causal 3-D convolutions pad two zero frames in front, so a 3x3x3 kernel acts through its last temporal
 *       slice only (a 2-D 3x3 convolution, padding 1); 1x1x1 kernels are 1x1 convolutions. No feature cache.</li>
 *   <li>The resample blocks' {@code time_conv} is skipped on the first frame upstream; its weights are checked for
 *       presence and shape but never loaded.</li>
 *   <li>{@code QwenImageRMS_norm} = {@code F.normalize} over channels times {@code sqrt(C) * gamma}; mid-block
 *       attention is single-head SDPA over the H*W positions through the fused op.</li>
 *   <li>Activations are (N, C, H, W) internally, upstream's (N, C, 1, H, W) without the frame axis; the public
 *       API takes and returns the 5-D layout.</li>
 * </ul>
 *
 * <p>Layout: feature maps and convolution weights are laid out channels-last (NHWC in memory, the shape unchanged)
 * between the encoder's or decoder's first and last convolution, the layout oneDNN's convolutions run fastest in
 * (no reorder of the activations around each convolution); the norm and SiLU before each convolution are one fused
 * op. Values equal the standard layout's up to the kernels' summation order (the goldens' tolerance).</p>
 *
 * <p>Memory: the frames of a batch are processed one at a time by default, and convolution stages whose
 * full-resolution temporaries would exceed {@link org.layered.model.vae.RgbaVae#stripBudgetBytes()} run in row
 * strips with a one-row halo, which is exact (no blending, no seams) because everything outside the mid-block
 * attention is a per-pixel op or a 3x3 convolution.
 */
package org.layered.model.vae;
