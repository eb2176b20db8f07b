package org.layered.cli;

import java.math.BigInteger;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code --flag value} pairs, switches ({@code --yes}) and positional words ({@code engine use DIR}) of one
 * command line, checked against what the command accepts.
 */
final class CliArgs {
    /** A command line that does not fit the command; exit status 2. */
    static final class UsageException extends Exception {
        UsageException(String message) {
            super(message);
        }
    }

    private final Map<String, String> values;
    private final List<String> words;

    private CliArgs(Map<String, String> values, List<String> words) {
        this.values = values;
        this.words = words;
    }

    static CliArgs parse(String[] args, Set<String> allowed) throws UsageException {
        return parse(args, allowed, Set.of(), 0);
    }

    /**
     * @param allowed  flags that take a value
     * @param switches flags without a value (true when present)
     * @param maxWords positional words accepted
     */
    static CliArgs parse(String[] args, Set<String> allowed, Set<String> switches, int maxWords)
            throws UsageException {
        Map<String, String> v = new HashMap<>();
        List<String> w = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) {
                if (w.size() >= maxWords) {
                    throw new UsageException("unexpected argument '" + a + "'");
                }
                w.add(a);
                continue;
            }
            if (switches.contains(a.substring(2))) {
                if (v.put(a.substring(2), "true") != null) {
                    throw new UsageException("option " + a + " given twice");
                }
                continue;
            }
            String name = a.substring(2);
            String value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            if (!allowed.contains(name)) {
                throw new UsageException("unknown option --" + name);
            }
            if (value == null) {
                if (i + 1 >= args.length) {
                    throw new UsageException("option --" + name + " needs a value");
                }
                value = args[++i];
            }
            if (v.put(name, value) != null) {
                throw new UsageException("option --" + name + " given twice");
            }
        }
        return new CliArgs(v, List.copyOf(w));
    }

    /** The positional words, in order. */
    List<String> words() {
        return words;
    }

    String string(String name, String fallback) {
        return values.getOrDefault(name, fallback);
    }

    String required(String name) throws UsageException {
        String v = values.get(name);
        if (v == null) {
            throw new UsageException("missing required option --" + name);
        }
        return v;
    }

    Path path(String name) throws UsageException {
        return Path.of(required(name));
    }

    int integer(String name, int fallback, int min, int max) throws UsageException {
        return values.containsKey(name) ? (int) longInteger(name, min, max) : fallback;
    }

    /**
     * A whole number in {@code [min, max]}; one too long for any integer type is "out of range", not "not a
     * number".
     */
    long longInteger(String name, long min, long max) throws UsageException {
        String v = required(name).trim();
        if (!v.matches("[+-]?\\d+")) {
            throw new UsageException("--" + name + " must be a whole number, got '" + v + "'");
        }
        BigInteger i = new BigInteger(v);
        if (i.compareTo(BigInteger.valueOf(min)) < 0 || i.compareTo(BigInteger.valueOf(max)) > 0) {
            throw new UsageException("--" + name + " is out of range: it must be between " + min + " and " + max
                    + ", got " + v);
        }
        return i.longValue();
    }

    boolean has(String name) {
        return values.containsKey(name);
    }
}
