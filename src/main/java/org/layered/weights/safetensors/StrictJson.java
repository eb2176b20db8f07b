package org.layered.weights.safetensors;

import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small strict JSON parser over Gson's streaming {@link JsonReader}.
 *
 * <p>Why not {@code JsonParser}: it silently keeps the last of two equal keys, and a safetensors header with a
 * duplicate tensor name is corrupt (two readers could disagree on which tensor is meant). It also turns integers into
 * doubles, while offsets beyond 2^53 must be read exactly. Values map to {@link LinkedHashMap} (key order kept),
 * {@link ArrayList}, {@link String}, {@link Num} (the literal text), {@link Boolean} and {@link #NULL}.
 */
final class StrictJson {
    /** JSON {@code null}, distinct from an absent key. */
    static final Object NULL = new Object() {
        @Override
        public String toString() {
            return "null";
        }
    };

    /** Deep nesting would only overflow the stack: no legitimate header nests more than 3 levels. */
    private static final int MAX_DEPTH = 64;

    /** A JSON number kept as written, so that integers are checked exactly and never rounded. */
    record Num(String literal) {
        /** The value as a long, or {@code null} if it is not an integer literal within the long range. */
        Long asLong() {
            try {
                return Long.parseLong(literal);
            } catch (NumberFormatException e) {
                return null;
            }
        }

        @Override
        public String toString() {
            return literal;
        }
    }

    /**
     * A syntax error or a duplicate key; {@link #path} holds the object keys leading to the offending place, and the
     * message says where (line, column or JSON path) without naming the document.
     */
    static final class Error extends Exception {
        private static final long serialVersionUID = 1L;
        final transient List<String> path;
        final boolean duplicate;

        Error(String message, List<String> path, boolean duplicate) {
            super(message);
            this.path = List.copyOf(path);
            this.duplicate = duplicate;
        }
    }

    private StrictJson() {
    }

    /** Parses one complete JSON document; anything after the top-level value but whitespace is an error. */
    static Object parse(String text) throws Error {
        JsonReader reader = new JsonReader(new StringReader(text));
        // Fiji ships Gson 2.10 (pom-scijava), which predates Strictness.STRICT: non-lenient is its strictest mode
        // (it still takes true/false/null in any capitalisation and the \' escape, which no writer produces)
        reader.setLenient(false);
        List<String> path = new ArrayList<>();
        try {
            Object value = read(reader, path, 0);
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                throw new Error("unexpected content after the JSON value", path, false);
            }
            return value;
        } catch (IOException | IllegalStateException | NumberFormatException e) {
            throw new Error(gsonMessage(e), path, false);
        }
    }

    /** Gson's message, on one line and without advice about its own API that would puzzle an end user. */
    private static String gsonMessage(Exception e) {
        String msg = String.valueOf(e.getMessage());
        int nl = msg.indexOf('\n'); // Gson adds a line pointing to its troubleshooting guide
        if (nl >= 0) {
            msg = msg.substring(0, nl);
        }
        if (msg.startsWith("Use JsonReader.setStrictness") || msg.startsWith("Use JsonReader.setLenient")) {
            int at = msg.indexOf(" at line ");
            msg = "malformed JSON" + (at >= 0 ? msg.substring(at) : "");
        }
        return msg;
    }

    private static Object read(JsonReader r, List<String> path, int depth) throws IOException, Error {
        JsonToken token = r.peek();
        switch (token) {
            case BEGIN_OBJECT: {
                if (depth >= MAX_DEPTH) {
                    throw new Error("JSON nested more than " + MAX_DEPTH + " levels deep at " + where(path), path, false);
                }
                Map<String, Object> map = new LinkedHashMap<>();
                r.beginObject();
                while (r.hasNext()) {
                    String key = r.nextName();
                    path.add(key);
                    if (map.containsKey(key)) {
                        throw new Error("duplicate key '" + key + "' at " + where(path), path, true);
                    }
                    map.put(key, read(r, path, depth + 1));
                    path.remove(path.size() - 1);
                }
                r.endObject();
                return map;
            }
            case BEGIN_ARRAY: {
                if (depth >= MAX_DEPTH) {
                    throw new Error("JSON nested more than " + MAX_DEPTH + " levels deep at " + where(path), path, false);
                }
                List<Object> list = new ArrayList<>();
                r.beginArray();
                while (r.hasNext()) {
                    list.add(read(r, path, depth + 1));
                }
                r.endArray();
                return list;
            }
            case STRING:
                return r.nextString();
            case NUMBER:
                return new Num(r.nextString());
            case BOOLEAN:
                return r.nextBoolean();
            case NULL:
                r.nextNull();
                return NULL;
            default:
                throw new Error("unexpected JSON token " + token + " at " + where(path), path, false);
        }
    }

    /** A JSON path such as {@code $.a.dtype}, for messages. */
    static String where(List<String> path) {
        return path.isEmpty() ? "$" : "$." + String.join(".", path);
    }

    /** A short human description of a parsed value's JSON type, for error messages. */
    static String typeName(Object v) {
        if (v instanceof Map) {
            return "an object";
        } else if (v instanceof List) {
            return "an array";
        } else if (v instanceof String) {
            return "a string";
        } else if (v instanceof Num) {
            return "a number";
        } else if (v instanceof Boolean) {
            return "a boolean";
        } else if (v == NULL) {
            return "null";
        }
        return "missing";
    }
}
