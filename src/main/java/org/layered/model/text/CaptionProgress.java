package org.layered.model.text;

/**
 * Hears what an {@link ImageCaptioner} is doing. Calls come from the thread running the caption.
 */
public interface CaptionProgress {
    /** A listener that ignores everything. */
    CaptionProgress NONE = new CaptionProgress() {};

    /** A stage starts: "load captioner", "process image", "encode image", "generate caption". */
    default void stage(String name) {}

    /**
     * A batch of tokens was generated (every {@link ImageCaptioner.Options#progressInterval()} tokens, and once at
     * the end).
     *
     * @param generated     tokens generated so far
     * @param maxNewTokens  the limit (generation usually ends earlier, at an end-of-turn token)
     * @param partialCaption the caption decoded so far (special tokens skipped, not stripped)
     */
    default void tokens(int generated, int maxNewTokens, String partialCaption) {}
}
