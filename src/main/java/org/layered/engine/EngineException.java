package org.layered.engine;

/** A failure of the native engine or of a request it cannot serve, with a message meant for the user. */
public class EngineException extends RuntimeException {
    public EngineException(String message) {
        super(message);
    }

    public EngineException(String message, Throwable cause) {
        super(message, cause);
    }
}
