package org.layered.weights.config;

import java.io.IOException;

/** A model config file that is missing, unreadable or lacks a needed key; the message names file and key. */
public class ConfigException extends IOException {
    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
