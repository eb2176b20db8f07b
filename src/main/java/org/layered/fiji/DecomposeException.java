package org.layered.fiji;

/**
 * A decomposition that could not be done, with a one-line message written for the user (what is wrong and what to
 * do). Front ends show the message as is: never a stack trace.
 */
public class DecomposeException extends Exception {
    private static final long serialVersionUID = 1L;

    public DecomposeException(String message) {
        super(message);
    }

    public DecomposeException(String message, Throwable cause) {
        super(message, cause);
    }
}
