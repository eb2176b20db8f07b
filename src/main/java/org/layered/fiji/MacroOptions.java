package org.layered.fiji;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * An ImageJ macro option string such as {@code layers=4 prompt=[a red car] cfg_normalize=false show}, read the way
 * {@code ij.Macro.getValue} reads it (values are single words, {@code [bracketed]} or {@code 'quoted'}; when a key
 * appears twice the first one wins) and, unlike {@code Macro.getValue}, matched on whole keys only, so
 * {@code prompt} never picks up {@code negative_prompt}. A bare word is a flag: {@code true} when read as a boolean.
 *
 * <p>Keys are case-insensitive. Unknown keys are kept but ignored by the readers, as ImageJ does.
 */
public final class MacroOptions {
    /** The value of a bare word ({@code show}). */
    public static final String FLAG = "\u0000flag";

    private final Map<String, String> values;

    private MacroOptions(Map<String, String> values) {
        this.values = values;
    }

    /** No options at all. */
    public static MacroOptions empty() {
        return new MacroOptions(Map.of());
    }

    /**
     * Parses an option string; null is treated as empty.
     *
     * @throws IllegalArgumentException for an unterminated {@code [} or {@code '}
     */
    public static MacroOptions parse(String options) {
        Map<String, String> out = new LinkedHashMap<>();
        String s = options == null ? "" : options;
        int i = 0;
        int n = s.length();
        while (i < n) {
            while (i < n && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
            if (i >= n) {
                break;
            }
            int keyStart = i;
            while (i < n && s.charAt(i) != '=' && !Character.isWhitespace(s.charAt(i))) {
                i++;
            }
            String key = s.substring(keyStart, i).toLowerCase(Locale.ROOT);
            if (i >= n || s.charAt(i) != '=') {
                out.putIfAbsent(key, FLAG);
                continue;
            }
            i++; // '='
            String value;
            if (i < n && s.charAt(i) == '[') {
                int depth = 1;
                int j = i + 1;
                while (j < n && depth > 0) {
                    char c = s.charAt(j);
                    if (c == '[') {
                        depth++;
                    } else if (c == ']') {
                        depth--;
                    }
                    j++;
                }
                if (depth != 0) {
                    throw new IllegalArgumentException("option '" + key + "': '[' without matching ']'");
                }
                value = s.substring(i + 1, j - 1);
                i = j;
            } else if (i < n && s.charAt(i) == '\'') {
                int end = s.indexOf('\'', i + 1);
                if (end < 0) {
                    throw new IllegalArgumentException("option '" + key + "': quote without matching quote");
                }
                value = s.substring(i + 1, end);
                i = end + 1;
            } else {
                int j = i;
                while (j < n && !Character.isWhitespace(s.charAt(j))) {
                    j++;
                }
                value = s.substring(i, j);
                i = j;
            }
            out.putIfAbsent(key, value);
        }
        return new MacroOptions(Collections.unmodifiableMap(out));
    }

    public boolean has(String key) {
        return values.containsKey(key);
    }

    /** The keys given, in order. */
    public java.util.Set<String> keys() {
        return values.keySet();
    }

    /** The text of {@code key}, or {@code fallback} when absent (a bare flag reads as {@code "true"}). */
    public String string(String key, String fallback) {
        String v = values.get(key);
        if (v == null) {
            return fallback;
        }
        return v.equals(FLAG) ? "true" : v;
    }

    /**
     * A whole number.
     *
     * @throws IllegalArgumentException naming the key for anything that is not an integer in [min, max]
     */
    public int integer(String key, int fallback, int min, int max) {
        String v = values.get(key);
        if (v == null) {
            return fallback;
        }
        int x;
        try {
            double d = Double.parseDouble(v.trim());
            if (d != Math.rint(d) || Double.isInfinite(d)) {
                throw new NumberFormatException();
            }
            x = (int) d;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a whole number, got '" + printable(v) + "'");
        }
        if (x < min || x > max) {
            throw new IllegalArgumentException(key + " must be between " + min + " and " + max + ", got " + x);
        }
        return x;
    }

    /** A number. @throws IllegalArgumentException naming the key for anything else */
    public double number(String key, double fallback) {
        String v = values.get(key);
        if (v == null) {
            return fallback;
        }
        try {
            double d = Double.parseDouble(v.trim());
            if (!Double.isFinite(d)) {
                throw new NumberFormatException();
            }
            return d;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a number, got '" + printable(v) + "'");
        }
    }

    /**
     * A boolean: {@code true/false}, {@code yes/no}, {@code on/off}, {@code 1/0}, or a bare flag (true).
     *
     * @throws IllegalArgumentException naming the key for anything else
     */
    public boolean bool(String key, boolean fallback) {
        String v = values.get(key);
        if (v == null) {
            return fallback;
        }
        if (v.equals(FLAG)) {
            return true;
        }
        return switch (v.trim().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on", "1" -> true;
            case "false", "no", "off", "0" -> false;
            default -> throw new IllegalArgumentException(key + " must be true or false, got '" + printable(v) + "'");
        };
    }

    private static String printable(String v) {
        return v.equals(FLAG) ? "" : v;
    }

    /**
     * One {@code key=value} item as ImageJ's recorder writes it: bracketed when the value contains a space or is
     * empty.
     */
    public static String item(String key, String value) {
        String v = value == null ? "" : value;
        if (v.isEmpty() || v.chars().anyMatch(Character::isWhitespace) || v.startsWith("[") || v.startsWith("'")) {
            return key + "=[" + v + "]";
        }
        return key + "=" + v;
    }
}
