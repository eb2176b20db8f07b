package org.layered.weights.safetensors;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/** Finds names close to a missing one, so that "no tensor 'x'" errors point at the likely intended key. */
final class Suggestions {
    private Suggestions() {
    }

    /** Up to {@code max} names from {@code candidates}, closest first (edit distance; containment counts as close). */
    static List<String> similar(String wanted, Collection<String> candidates, int max) {
        record Scored(String name, int score) {
        }
        List<Scored> scored = new ArrayList<>(candidates.size());
        for (String c : candidates) {
            // A key that differs by a prefix ("model." vs none) is the most common mismatch: rank it first.
            int score = c.endsWith(wanted) || wanted.endsWith(c) ? Math.abs(c.length() - wanted.length()) / 4
                    : distance(wanted, c);
            scored.add(new Scored(c, score));
        }
        scored.sort(Comparator.comparingInt(Scored::score).thenComparing(Scored::name));
        List<String> out = new ArrayList<>();
        for (int i = 0; i < Math.min(max, scored.size()); i++) {
            out.add(scored.get(i).name());
        }
        return out;
    }

    /** The message tail for a missing name: the closest names, or a note that there are none. */
    static String hint(String wanted, Collection<String> candidates) {
        if (candidates.isEmpty()) {
            return "the file has no tensors";
        }
        return "similar names: " + String.join(", ", quote(similar(wanted, candidates, 5)))
                + " (" + candidates.size() + " tensors in all)";
    }

    private static List<String> quote(List<String> names) {
        List<String> out = new ArrayList<>(names.size());
        for (String n : names) {
            out.add("'" + n + "'");
        }
        return out;
    }

    /** Levenshtein distance, two rows; names are short (about 100 characters), so this is cheap enough per error. */
    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j], cur[j - 1]) + 1);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
