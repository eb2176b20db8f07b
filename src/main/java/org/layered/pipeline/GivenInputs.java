package org.layered.pipeline;

import org.layered.engine.ComputeDevice;
import org.layered.engine.DType;
import org.layered.engine.Tensor;
import org.layered.weights.SafetensorsWeights;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;

/**
 * Tensors a caller supplies instead of letting the pipeline compute them — the reproducibility path of
 * {@code decompose --inputs FILE.safetensors}, with diffusers' argument names: {@code prompt_embeds},
 * {@code prompt_embeds_mask}, {@code negative_prompt_embeds}, {@code negative_prompt_embeds_mask} and
 * {@code latents} (packed initial noise (1, (N+1)·h'·w', 64)). Any may be null.
 */
public record GivenInputs(TextConditioning prompt, TextConditioning negative, Tensor latents) {
    /** Names accepted in an inputs file. */
    public static final Set<String> NAMES = Set.of("prompt_embeds", "prompt_embeds_mask", "negative_prompt_embeds",
            "negative_prompt_embeds_mask", "latents");

    public static final GivenInputs NONE = new GivenInputs(null, null, null);

    /**
     * Reads an inputs file into the current scope (float tensors as float32, masks as int64).
     *
     * @throws IOException naming the file and the offending tensor for unknown names or a mask without embeddings
     */
    public static GivenInputs read(Path file, ComputeDevice device) throws IOException {
        try (SafetensorsWeights w = SafetensorsWeights.open(file)) {
            Set<String> unknown = new TreeSet<>(w.names());
            unknown.removeAll(NAMES);
            if (!unknown.isEmpty()) {
                throw new IOException(file + ": unknown input tensor(s) " + unknown + "; accepted names: "
                        + new TreeSet<>(NAMES));
            }
            TextConditioning p = conditioning(w, file, "prompt_embeds", device);
            TextConditioning n = conditioning(w, file, "negative_prompt_embeds", device);
            Tensor latents = w.contains("latents") ? w.load("latents", DType.F32, device) : null;
            if (latents != null && latents.rank() != 3) {
                throw new IOException(file + ": 'latents' must be packed (1, tokens, 64), got rank " + latents.rank());
            }
            return new GivenInputs(p, n, latents);
        }
    }

    private static TextConditioning conditioning(SafetensorsWeights w, Path file, String name, ComputeDevice device)
            throws IOException {
        String maskName = name + "_mask";
        if (!w.contains(name)) {
            if (w.contains(maskName)) {
                throw new IOException(file + ": '" + maskName + "' given without '" + name + "'");
            }
            return null;
        }
        Tensor embeds = w.load(name, DType.F32, device);
        Tensor mask = w.contains(maskName) ? w.load(maskName, DType.I64, device) : null;
        try {
            return new TextConditioning(embeds, allOnes(mask) ? null : mask);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    /** Upstream's rule: a mask of all ones means "no mask". */
    static boolean allOnes(Tensor mask) {
        if (mask == null) {
            return true;
        }
        for (long v : mask.toLongs()) {
            if (v != 1) {
                return false;
            }
        }
        return true;
    }
}
