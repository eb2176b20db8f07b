package org.layered.engine;

import java.util.List;

/**
 * The device choices a dialog offers: {@code auto}, {@code cpu} and exactly the CUDA devices the engine sees (or
 * will see once it starts), each with name and memory, plus a note on what {@code auto} means here.
 *
 * @param options  key (what macros and the command line take) and label (what a person sees), in menu order
 * @param autoNote e.g. {@code auto = cuda:0 (NVIDIA H100 80GB HBM3, 79.1 GiB)}
 */
public record DeviceMenu(List<Option> options, String autoNote) {
    /** One entry: {@code cuda:0} shown as {@code cuda:0 (NVIDIA H100 80GB HBM3, 79.1 GiB)}. */
    public record Option(String key, String label) {}

    public DeviceMenu {
        options = List.copyOf(options);
    }

    /** The key part of a label ({@code cuda:0 (NVIDIA H100 ...)} is {@code cuda:0}); a key stays as it is. */
    public static String keyPart(String labelOrKey) {
        String t = labelOrKey == null ? "" : labelOrKey.strip();
        int paren = t.indexOf(" (");
        return paren > 0 ? t.substring(0, paren).strip() : t;
    }

    /** The keys, in menu order. */
    public List<String> keys() {
        return options.stream().map(Option::key).toList();
    }

    /** The labels, in menu order. */
    public List<String> labels() {
        return options.stream().map(Option::label).toList();
    }

    /**
     * The key of an entry given by its label or a device name ({@code cuda} is {@code cuda:0}); {@code auto} for
     * anything not on the menu.
     */
    public String keyOf(String labelOrKey) {
        String t = labelOrKey == null ? "" : labelOrKey.strip();
        String canonical;
        try {
            canonical = DeviceSpec.parse(t.split("\\s+")[0]).toString();
        } catch (IllegalArgumentException e) {
            canonical = t;
        }
        for (Option o : options) {
            if (o.label().equals(t) || o.key().equals(canonical)) {
                return o.key();
            }
        }
        return "auto";
    }

    /** The label of a key; the key itself when it is not on the menu. */
    public String labelOf(String key) {
        for (Option o : options) {
            if (o.key().equals(key)) {
                return o.label();
            }
        }
        return key;
    }
}
