package org.layered.pipeline;

import org.layered.engine.ComputeDevice;
import org.layered.engine.Precision;
import org.layered.engine.Cancellation;
import org.layered.image.RgbaImage;
import org.layered.model.text.CaptionProgress;
import org.layered.model.text.GenerationConfig;
import org.layered.model.text.ImageCaptioner;
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

    private final ModelIndex model;
    private final PromptEncoder encoder;
    private final ImageCaptioner.Options captionOptions;

    private QwenPromptEncoding(ModelIndex model, PromptEncoder encoder, ImageCaptioner.Options captionOptions) {
        this.model = model;
        this.encoder = encoder;
        this.captionOptions = captionOptions;
    }

    /**
     * Opens {@code text_encoder/} and {@code tokenizer/} of a model folder (weights load on first use).
     *
     * @throws IOException naming the missing folder when the model has no text encoder
     */
    public static QwenPromptEncoding open(ModelIndex model, ComputeDevice device, Precision precision)
            throws IOException {
        return open(model, PromptEncoder.Options.defaults(device).withPrecision(precision),
                ImageCaptioner.Options.defaults(device).withPrecision(precision));
    }

    /** Opens the text encoder with the residencies a memory plan chose for prompt encoding and captioning. */
    public static QwenPromptEncoding open(ModelIndex model, ComputeDevice device, Precision precision,
            DecompositionPlan plan) throws IOException {
        return open(model, PromptEncoder.Options.defaults(device).withPrecision(precision)
                        .withResidency(plan.textEncoderPolicy()),
                ImageCaptioner.Options.defaults(device).withPrecision(precision).withResidency(plan.captionerPolicy()));
    }

    /** The same with explicit options (residency, token-id maps of test models, ...). */
    public static QwenPromptEncoding open(ModelIndex model, PromptEncoder.Options options,
            ImageCaptioner.Options captionOptions) throws IOException {
        return new QwenPromptEncoding(model, PromptEncoder.open(model.componentDir("text_encoder"),
                model.componentDir("tokenizer"), options), captionOptions);
    }

    /**
     * Captions with a captioner opened for this call and released right after, and the prompt encoder's copy of
     * the language model released before: the two never hold the 7B weights at once.
     */
    @Override
    public String caption(RgbaImage image, Cancellation cancel) throws IOException {
        encoder.releaseModel();
        try (ImageCaptioner captioner = ImageCaptioner.open(model, captionOptions.withReleaseAfterCaption(true))) {
            return captioner.caption(image, true, GenerationConfig.CAPTION_MAX_NEW_TOKENS, CaptionProgress.NONE,
                    cancel);
        }
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
    public void release() throws IOException {
        encoder.releaseModel();
    }

    @Override
    public void close() throws IOException {
        encoder.close();
    }
}
