package org.layered.pipeline;

/**
 * A decomposition produced, or was given, NaN or infinite values where numbers belong. The message names the stage
 * and the likely cause: damaged weights when the values are bad from the start (a component's first output), a
 * numeric overflow when they turn bad later. The run stops instead of writing layers computed from garbage.
 */
public final class NonFiniteValuesException extends RuntimeException {
    private final String stage;

    NonFiniteValuesException(String stage, String message) {
        super(message);
        this.stage = stage;
    }

    /** The stage whose values were not finite, e.g. {@code denoise step 1}, {@code decode layers}. */
    public String stage() {
        return stage;
    }
}
