package org.layered.pipeline;

import org.layered.engine.DType;
import org.layered.model.transformer.TransformerMemory;
import org.layered.model.vae.VaeMemory;
import org.layered.weights.residency.ActivationLedger;
import org.layered.weights.residency.ActivationLedger.Buf;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The device tensor memory of one {@link DecomposePipeline#run}, stage by stage, replayed on an
 * {@link ActivationLedger}: the pixels, the condition latents, the noise, each denoising step (the transformer's
 * forward passes, guidance, the scheduler step) and the layer decoding with its conversion to 8-bit, with the VAE's
 * and the transformer's own memory models inside. Weights are not included (the planner adds what each tier holds). On a GPU the host copies the engine makes on the way (the pixels, the seeded
 * noise) are host memory and not counted here.
 *
 * @param layers       N
 * @param bucket       the working size
 * @param textTokens   positive prompt length (tokens kept after the template)
 * @param negTokens    negative prompt length, or 0 when CFG is off
 * @param textMask     whether the prompt batch carries a mask
 * @param dtype        compute dtype
 * @param textDim      width of the text conditioning (the transformer's {@code joint_attention_dim})
 * @param batchedGuidance both guidance branches as one transformer call on a batch of two (the prompts padded to
 *                     the longer one and masked) instead of two calls
 */
record PipelineMemory(int layers, ResolutionBucket bucket, long textTokens, long negTokens, boolean textMask,
        DType dtype, long textDim, boolean batchedGuidance) {

    /** Two transformer calls per guided step. */
    PipelineMemory(int layers, ResolutionBucket bucket, long textTokens, long negTokens, boolean textMask, DType dtype,
            long textDim) {
        this(layers, bucket, textTokens, negTokens, textMask, dtype, textDim, false);
    }

    /** Stage names, as the pipeline reports them ({@code DecomposePipeline}'s stage clock). */
    static final String ENCODE_IMAGE = "encode image";
    static final String DENOISE = "denoise";
    static final String DECODE = "decode layers";

    /**
     * The peak of each stage ({@link #ENCODE_IMAGE}, {@link #DENOISE}, {@link #DECODE}) in bytes of tensors the run
     * holds on the device, weights excluded.
     */
    Map<String, Long> stagePeaks(VaeMemory vae, TransformerMemory transformer) {
        Map<String, Long> peaks = new LinkedHashMap<>();
        peaks.put(ENCODE_IMAGE, encodePeak(vae));
        peaks.put(DENOISE, denoisePeak(transformer));
        peaks.put(DECODE, decodePeak(vae));
        return peaks;
    }

    /** The image encoding's peak. */
    long encodePeak(VaeMemory vae) {
        ActivationLedger l = start();
        l.resetPeak();
        vae.encode(l, bucket.height(), bucket.width(), dtype != DType.F32); // normalised latents stay in the run
        l.alloc(dtype, bucket.tokensPerFrame(), 64); // packed condition
        return l.peak();
    }

    /** A denoising step's peak (the second step's: the first one's latents are gone, the peak repeats). */
    long denoisePeak(TransformerMemory transformer) {
        ActivationLedger l = start();
        encoded(l);
        long frames = layers + 1L;
        long tokens = bucket.tokensPerFrame();
        // the seeded noise (on a GPU: its copy), held for the run
        l.alloc(DType.F32, frames, 16, bucket.latentHeight(), bucket.latentWidth());
        Buf latents = l.alloc(DType.F32, frames * tokens, 64); // packed; held for the run unless it is the latents
        if (dtype != DType.F32) {
            latents = l.alloc(dtype, frames * tokens, 64);
        }
        boolean batched = batchedGuidance && negTokens > 0;
        long paired = Math.max(textTokens, negTokens);
        boolean pairMask = textMask || textTokens != negTokens;
        if (batched) { // TextConditioning.pairedWith, held for the run: both prompts padded to the longer one
            l.alloc(dtype, 2 * paired, textDim);
            if (pairMask) {
                l.alloc(DType.BOOL, 2 * paired);
            }
        }
        l.resetPeak();
        long imageTokens = (frames + 1) * tokens;
        for (int step = 0; step < 2; step++) {
            l.open();
            l.alloc(dtype, imageTokens, 64); // noisy frames + condition
            if (batched) {
                l.alloc(dtype, 2 * imageTokens, 64); // the input twice
                transformer.forward(l, 2, imageTokens, paired, pairMask);
                guidance(l, frames * tokens);
            } else {
                transformer.forward(l, imageTokens, textTokens, textMask);
            }
            if (!batched && negTokens > 0) {
                transformer.forward(l, imageTokens, negTokens, textMask);
                guidance(l, frames * tokens);
            }
            Buf next = l.keep(schedulerStep(l, frames * tokens));
            l.close();
            l.free(latents);
            latents = next;
        }
        return l.peak();
    }

    /** The layers' decoding and conversion to 8-bit. */
    long decodePeak(VaeMemory vae) {
        ActivationLedger l = start();
        encoded(l);
        long frames = layers + 1L;
        long tokens = bucket.tokensPerFrame();
        l.alloc(DType.F32, frames, 16, bucket.latentHeight(), bucket.latentWidth()); // the seeded noise
        if (dtype != DType.F32) {
            l.alloc(DType.F32, frames * tokens, 64); // the packed noise before its cast
        }
        l.alloc(dtype, frames * tokens, 64); // the final latents
        l.resetPeak();
        l.open();
        l.open(); // unpack: one copy
        Buf unpacked = l.keep(l.alloc(dtype, frames * tokens, 64));
        l.close();
        Buf images = vae.decode(l, layers, bucket.latentHeight(), bucket.latentWidth());
        toBytes(l, (long) layers * 4 * bucket.height() * bucket.width());
        l.free(images);
        l.free(unpacked);
        l.close();
        return l.peak();
    }

    /** A ledger holding what the run holds from its start: the text conditioning and the pixels. */
    private ActivationLedger start() {
        ActivationLedger l = new ActivationLedger();
        l.open(); // the run
        l.alloc(dtype, textTokens + negTokens, textDim);
        l.alloc(DType.F32, 4, bucket.height(), bucket.width()); // preprocessed pixels (on a GPU: their copy)
        return l;
    }

    /** What the image encoding leaves in the run: the normalised latents and their packed copy. */
    private void encoded(ActivationLedger l) {
        l.alloc(dtype, 16, bucket.latentHeight(), bucket.latentWidth());
        l.alloc(dtype, bucket.tokensPerFrame(), 64);
    }

    /** Guidance.apply with normalisation: the combination, then its rescaling (float32 norms for bf16). */
    private void guidance(ActivationLedger l, long n) {
        l.open();
        l.open();
        l.alloc(dtype, n, 64);
        l.alloc(dtype, n, 64);
        Buf comb = l.keep(l.alloc(dtype, n, 64));
        l.close();
        l.open();
        for (int i = 0; i < 2; i++) { // |cond| and |comb| per token
            if (dtype != DType.F32) {
                l.alloc(DType.F32, n, 64);
            }
            l.alloc(dtype == DType.F32 ? dtype : DType.F32, n, 64); // squares
        }
        l.keep(l.alloc(dtype, n, 64));
        l.close();
        l.free(comb);
        l.close();
    }

    /** FlowMatchEulerScheduler's step: float32 sample plus dt times the model output, in the model's dtype. */
    private Buf schedulerStep(ActivationLedger l, long n) {
        l.open();
        if (dtype != DType.F32) {
            l.alloc(DType.F32, n, 64);
        }
        l.alloc(dtype, n, 64);
        Buf sum = l.alloc(DType.F32, n, 64);
        Buf out = l.keep(dtype == DType.F32 ? sum : l.alloc(dtype, n, 64));
        l.close();
        return out;
    }

    /** ImageTensors.denormalizeHwc: scale, shift, clamp, channel-last copy; float32 for the read-back. */
    private void toBytes(ActivationLedger l, long elements) {
        l.open();
        Buf half = l.alloc(dtype, elements);
        Buf shifted = l.alloc(dtype, elements);
        l.free(half);
        Buf y = l.alloc(dtype, elements);
        l.free(shifted);
        l.alloc(dtype, elements);
        l.free(y);
        if (dtype != DType.F32) {
            l.alloc(DType.F32, elements);
        }
        l.close();
    }
}
