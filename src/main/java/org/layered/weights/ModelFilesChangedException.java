package org.layered.weights;

import java.io.IOException;

/** A loaded model's files changed on disk (see {@link ModelFingerprint}): the model must be loaded again. */
public final class ModelFilesChangedException extends IOException {
    public ModelFilesChangedException(String message) {
        super(message);
    }
}
