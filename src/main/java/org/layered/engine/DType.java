package org.layered.engine;

import java.util.Locale;

/**
 * Element types the project reads, writes and computes with, named as in the safetensors header.
 *
 * <p>This enum, not DJL's {@code DataType}, is what code outside the engine package uses: DJL 0.36 aborts the JVM
 * whenever {@code DataType.BFLOAT16} reaches its native layer, so the engine alone translates (see {@code Ops}).
 */
public enum DType {
    F64(8, true),
    F32(4, true),
    F16(2, true),
    BF16(2, true),
    /** float8 e4m3 "fn" (no infinities, max 448): storage of quantised weights only, never computed in. */
    F8_E4M3(1, true),
    I64(8, false),
    I32(4, false),
    I16(2, false),
    I8(1, false),
    U8(1, false),
    BOOL(1, false);

    private final int bytes;
    private final boolean floating;

    DType(int bytes, boolean floating) {
        this.bytes = bytes;
        this.floating = floating;
    }

    /** Bytes per element. */
    public int bytes() {
        return bytes;
    }

    /** Whether this is a floating-point type. */
    public boolean isFloating() {
        return floating;
    }

    /** The safetensors header name ({@code "BF16"}, {@code "F32"}, ...). */
    public String safetensorsName() {
        return name();
    }

    /**
     * Parses a safetensors dtype name.
     *
     * @throws IllegalArgumentException naming the unknown type and the supported ones
     */
    public static DType fromSafetensors(String name) {
        if (name != null) {
            try {
                return valueOf(name.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                // fall through to the descriptive message
            }
        }
        throw new IllegalArgumentException("unknown dtype '" + name + "' (supported: F64, F32, F16, BF16, F8_E4M3, "
                + "I64, I32, I16, I8, U8, BOOL)");
    }
}
