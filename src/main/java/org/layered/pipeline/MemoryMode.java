package org.layered.pipeline;

import java.util.Locale;

/** How a run places weights: as the memory plan decides, or all on the device whatever the plan says. */
public enum MemoryMode {
    /** The plan decides what is device-resident, streamed from host memory or read from the file. */
    AUTO("auto"),
    /** Every weight on the device (a run that does not fit fails with the device's out-of-memory error). */
    RESIDENT("resident");

    private final String key;

    MemoryMode(String key) {
        this.key = key;
    }

    public String key() {
        return key;
    }

    /** @throws IllegalArgumentException naming the accepted values */
    public static MemoryMode parse(String text) {
        String t = text == null ? "" : text.strip().toLowerCase(Locale.ROOT);
        for (MemoryMode m : values()) {
            if (m.key.equals(t)) {
                return m;
            }
        }
        throw new IllegalArgumentException("memory must be auto or resident, got '" + text + "'");
    }
}
