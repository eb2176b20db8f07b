package org.layered.engine.torchscript;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The few pickle (protocol 2) opcodes a TorchScript archive needs for a module without parameters: a class
 * instance built from a dict of attributes, strings, booleans, integers and tuples.
 *
 * <p>libtorch's unpickler accepts exactly the opcodes written here; memoisation is not needed.
 */
final class PickleWriter {
    private static final int PROTO = 0x80;
    private static final int GLOBAL = 'c';
    private static final int EMPTY_TUPLE = ')';
    private static final int NEWOBJ = 0x81;
    private static final int EMPTY_DICT = '}';
    private static final int MARK = '(';
    private static final int SETITEMS = 'u';
    private static final int BUILD = 'b';
    private static final int TUPLE = 't';
    private static final int BINUNICODE = 'X';
    private static final int NEWTRUE = 0x88;
    private static final int NEWFALSE = 0x89;
    private static final int BININT = 'J';
    private static final int STOP = '.';

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    PickleWriter() {
        out.write(PROTO);
        out.write(2);
    }

    /** An instance of {@code module.name} whose state is {@code attributes} (values: Boolean, Integer, String). */
    PickleWriter object(String module, String name, Map<String, Object> attributes) {
        out.write(GLOBAL);
        ascii(module + "\n" + name + "\n");
        out.write(EMPTY_TUPLE);
        out.write(NEWOBJ);
        out.write(EMPTY_DICT);
        out.write(MARK);
        for (Map.Entry<String, Object> e : attributes.entrySet()) {
            string(e.getKey());
            value(e.getValue());
        }
        out.write(SETITEMS);
        out.write(BUILD);
        return this;
    }

    /** A tuple of simple values ({@code constants.pkl} is an empty one for op-only modules). */
    PickleWriter tuple(Object... values) {
        if (values.length == 0) {
            out.write(EMPTY_TUPLE);
            return this;
        }
        out.write(MARK);
        for (Object v : values) {
            value(v);
        }
        out.write(TUPLE);
        return this;
    }

    byte[] finish() {
        out.write(STOP);
        return out.toByteArray();
    }

    private void value(Object v) {
        if (v instanceof Boolean b) {
            out.write(b ? NEWTRUE : NEWFALSE);
        } else if (v instanceof Integer i) {
            out.write(BININT);
            int x = i;
            out.write(x);
            out.write(x >>> 8);
            out.write(x >>> 16);
            out.write(x >>> 24);
        } else if (v instanceof String s) {
            string(s);
        } else {
            throw new IllegalArgumentException("cannot pickle " + v);
        }
    }

    private void string(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.write(BINUNICODE);
        int n = b.length;
        out.write(n);
        out.write(n >>> 8);
        out.write(n >>> 16);
        out.write(n >>> 24);
        out.writeBytes(b);
    }

    private void ascii(String s) {
        out.writeBytes(s.getBytes(StandardCharsets.US_ASCII));
    }
}
