package org.layered.pipeline;

import org.layered.engine.ComputeDevice;
import org.layered.engine.Precision;
import org.layered.model.text.PromptEmbeds;
import org.layered.model.text.PromptEncoder;
import org.layered.weights.config.ModelIndex;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** {@link PromptEncoding} by the model folder's Qwen2.5-VL text encoder and tokenizer. */
public final class QwenPromptEncoding implements PromptEncoding {
    /** Upstream's {@code max_sequence_length} default. */
    public static final int MAX_SEQUENCE_LENGTH = 512;

    private final PromptEncoder encoder;

    private QwenPromptEncoding(PromptEncoder encoder) {
        this.encoder = encoder;
    }

    /**
     * Opens {@code text_encoder/} and {@code tokenizer/} of a model folder (weights load on first use).
     *
     * @throws IOException naming the missing folder when the model has no text encoder
     */
    public static QwenPromptEncoding open(ModelIndex model, ComputeDevice device, Precision precision)
            throws IOException {
        return open(model, PromptEncoder.Options.defaults(device).withPrecision(precision));
    }

    /** The same with explicit encoder options (residency, token-id maps of test models, ...). */
    public static QwenPromptEncoding open(ModelIndex model, PromptEncoder.Options options) throws IOException {
        return new QwenPromptEncoding(PromptEncoder.open(model.componentDir("text_encoder"),
                model.componentDir("tokenizer"), options));
    }

    @Override
    public List<TextConditioning> encode(List<String> prompts) throws IOException {
        List<TextConditioning> out = new ArrayList<>();
        for (PromptEmbeds e : encoder.encodeEach(prompts, MAX_SEQUENCE_LENGTH)) {
            out.add(new TextConditioning(e.embeds(), e.mask()));
        }
        return out;
    }

    @Override
    public void releaseIfMemoryShort(long bytesNeeded) throws IOException {
        encoder.releaseModelIfMemoryShort(bytesNeeded);
    }

    @Override
    public void close() throws IOException {
        encoder.close();
    }
}
