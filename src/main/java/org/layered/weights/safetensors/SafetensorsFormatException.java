package org.layered.weights.safetensors;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A safetensors file, a sharded checkpoint index, or a checkpoint folder is malformed.
 *
 * <p>The message is always one line of the form {@code <file>: tensor '<name>': <problem>; <what to do>} so that a
 * user who only sees a log line or a dialog still knows which of the many files of a 58 GB checkpoint is broken.
 */
public class SafetensorsFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final String tensor;

    /**
     * @param file the file (or folder) at fault
     * @param tensor the tensor concerned, or {@code null}
     * @param problem what is wrong
     * @param advice what the user can do about it, or {@code null}
     */
    public SafetensorsFormatException(Path file, String tensor, String problem, String advice) {
        this(file, tensor, problem, advice, null);
    }

    /** As {@link #SafetensorsFormatException(Path, String, String, String)}, keeping the underlying cause. */
    public SafetensorsFormatException(Path file, String tensor, String problem, String advice, Throwable cause) {
        super(format(file, tensor, problem, advice), cause);
        this.file = file;
        this.tensor = tensor;
    }

    /** The file (or folder) at fault. */
    public Path file() {
        return file;
    }

    /** The tensor concerned, or {@code null} when the problem is not about one tensor. */
    public String tensor() {
        return tensor;
    }

    private static String format(Path file, String tensor, String problem, String advice) {
        StringBuilder sb = new StringBuilder().append(file);
        if (tensor != null) {
            sb.append(": tensor '").append(tensor).append('\'');
        }
        sb.append(": ").append(problem);
        if (advice != null && !advice.isEmpty()) {
            sb.append("; ").append(advice);
        }
        return oneLine(sb.toString());
    }

    /** Tensor names come from untrusted headers: keep the message on one line whatever they contain. */
    static String oneLine(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            sb.append(Character.isISOControl(c) ? ' ' : c);
        }
        return sb.toString();
    }
}
