package org.layered.export;

import org.layered.layers.LayerTree;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;

/** Layer display names shared by the exporters: defaults, validation and the ASCII fallback PSD needs. */
final class LayerNames {
    private LayerNames() {}

    /** "Layer 1" .. "Layer n" (1 = bottom), the naming of the official demo's PSD export. */
    static List<String> defaults(int n) {
        List<String> out = new ArrayList<>(n);
        for (int i = 1; i <= n; i++) {
            out.add("Layer " + i);
        }
        return out;
    }

    /**
     * {@code names} checked against the layer count, with blank entries replaced by their default and characters
     * that no layered format can store (C0/C1 controls, unpaired surrogates, U+FFFE/U+FFFF) removed.
     */
    static List<String> resolve(List<String> names, int n) {
        if (names == null) {
            return defaults(n);
        }
        if (names.size() != n) {
            throw new IllegalArgumentException("got " + names.size() + " layer names for " + n + " layers");
        }
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            String clean = clean(names.get(i));
            out.add(clean.isBlank() ? "Layer " + (i + 1) : clean);
        }
        return out;
    }

    /**
     * {@code tree} with every name cleaned as {@link #resolve} does; a blank name becomes "Layer k" (k its position
     * among its siblings, 1 = bottom).
     */
    static LayerTree clean(LayerTree tree) {
        return new LayerTree(clean(tree.nodes()));
    }

    private static List<LayerTree.Node> clean(List<LayerTree.Node> level) {
        List<LayerTree.Node> out = new ArrayList<>(level.size());
        for (int i = 0; i < level.size(); i++) {
            LayerTree.Node n = level.get(i);
            String name = clean(n.name());
            if (name.isBlank()) {
                name = "Layer " + (i + 1);
            }
            out.add(n instanceof LayerTree.Group g ? new LayerTree.Group(name, clean(g.children()))
                    : new LayerTree.Leaf(name, ((LayerTree.Leaf) n).image()));
        }
        return out;
    }

    private static String clean(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                b.append(c).append(s.charAt(++i));
            } else if (Character.isSurrogate(c) || Character.isISOControl(c) || c == '\uFFFE' || c == '\uFFFF') {
                if (c == '\t' || c == '\n' || c == '\r') {
                    b.append(' ');
                }
            } else {
                b.append(c);
            }
        }
        return b.toString().strip();
    }

    /**
     * A printable-ASCII rendering of {@code name} for formats whose legacy name field is 8-bit: accents are dropped
     * ("Café" becomes "Cafe"), other non-ASCII characters become '_', and the result is cut to {@code maxBytes}.
     */
    static String ascii(String name, int maxBytes) {
        String d = Normalizer.normalize(name, Normalizer.Form.NFD);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < d.length() && b.length() < maxBytes; i++) {
            char c = d.charAt(i);
            if (Character.getType(c) == Character.NON_SPACING_MARK) {
                continue;
            }
            if (Character.isHighSurrogate(c) && i + 1 < d.length()) {
                i++;
            }
            b.append(c >= 0x20 && c < 0x7F ? c : '_');
        }
        return b.toString();
    }
}
