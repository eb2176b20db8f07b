package org.layered.cli;

import java.math.BigInteger;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/** {@code --flag value} pairs of one command line, checked against the command's flags. */
final class CliArgs {
    /** A command line that does not fit the command; exit status 2. */
    static final class UsageException extends Exception {
        UsageException(String message) {
            super(message);
        }
    }

    private final Map<String, String> values;

    private CliArgs(Map<String, String> values) {
        this.values = values;
    }

    static CliArgs parse(String[] args, Set<String> allowed) throws UsageException {
        Map<String, String> v = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) {
                throw new UsageException("unexpected argument '" + a + "'");
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
        return new CliArgs(v);
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
