package org.layered.weights.safetensors;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.layered.engine.DType;

/**
 * Decodes small tensors into Java arrays (for tests, configs and tiny parameters) and converts single values
 * between float and the 16-bit formats. Large weights should go from the mapped buffers to the engine directly.
 *
 * <p>{@code Float.float16ToFloat} only exists from Java 20, hence the hand-written half-precision conversions.
 */
public final class TensorValues {
    private TensorValues() {
    }

    /**
     * All elements as floats: floating types are widened or narrowed (F64 rounds), integer types converted.
     *
     * @param data the tensor's bytes as {@link SafetensorsFile#data(String)} returns them (positions untouched)
     * @throws IllegalArgumentException if the tensor has more than {@link Integer#MAX_VALUE} elements or the buffers
     *     do not hold exactly its bytes
     */
    public static float[] toFloats(TensorInfo info, List<ByteBuffer> data) {
        float[] out = new float[count(info, data)];
        DType t = info.dtype();
        int i = 0;
        for (ByteBuffer chunk : data) {
            ByteBuffer b = chunk.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            while (b.hasRemaining()) {
                out[i++] = switch (t) {
                    case F64 -> (float) b.getDouble();
                    case F32 -> b.getFloat();
                    case F16 -> halfToFloat(b.getShort());
                    case BF16 -> bf16ToFloat(b.getShort());
                    case F8_E4M3 -> f8e4m3ToFloat(b.get());
                    case I64 -> (float) b.getLong();
                    case I32 -> (float) b.getInt();
                    case I16 -> b.getShort();
                    case I8 -> b.get();
                    case U8 -> b.get() & 0xFF;
                    case BOOL -> b.get() != 0 ? 1f : 0f;
                };
            }
        }
        return out;
    }

    /** All elements of a floating-point tensor as doubles (exact for F64, F32, F16, BF16 and F8_E4M3). */
    public static double[] toDoubles(TensorInfo info, List<ByteBuffer> data) {
        DType t = info.dtype();
        if (t != DType.F64) {
            float[] f = toFloats(info, data);
            double[] out = new double[f.length];
            for (int i = 0; i < f.length; i++) {
                out[i] = f[i];
            }
            return out;
        }
        double[] out = new double[count(info, data)];
        int i = 0;
        for (ByteBuffer chunk : data) {
            ByteBuffer b = chunk.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            while (b.hasRemaining()) {
                out[i++] = b.getDouble();
            }
        }
        return out;
    }

    /**
     * All elements of an integer or BOOL tensor as longs (U8 unsigned, BOOL as 0/1).
     *
     * @throws IllegalArgumentException for floating types (the conversion would be lossy), for more than
     *     {@link Integer#MAX_VALUE} elements, or if the buffers do not hold exactly the tensor's bytes
     */
    public static long[] toLongs(TensorInfo info, List<ByteBuffer> data) {
        DType t = info.dtype();
        if (t.isFloating()) {
            throw new IllegalArgumentException("tensor '" + info.name() + "' is " + t
                    + ", not an integer type; use toFloats");
        }
        long[] out = new long[count(info, data)];
        int i = 0;
        for (ByteBuffer chunk : data) {
            ByteBuffer b = chunk.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            while (b.hasRemaining()) {
                out[i++] = switch (t) {
                    case I64 -> b.getLong();
                    case I32 -> b.getInt();
                    case I16 -> b.getShort();
                    case I8 -> b.get();
                    case U8 -> b.get() & 0xFF;
                    case BOOL -> b.get() != 0 ? 1 : 0;
                    default -> throw new AssertionError(t);
                };
            }
        }
        return out;
    }

    /** Element count as an int, after checking that the buffers hold exactly the tensor's bytes in whole elements. */
    private static int count(TensorInfo info, List<ByteBuffer> data) {
        long n = info.numel();
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("tensor '" + info.name() + "' has " + n + " elements, more than a "
                    + "Java array holds (" + Integer.MAX_VALUE + "); read its buffers directly instead");
        }
        long total = 0;
        int elem = info.dtype().bytes();
        for (ByteBuffer b : data) {
            if (b.remaining() % elem != 0) {
                throw new IllegalArgumentException("tensor '" + info.name() + "': a buffer of " + b.remaining()
                        + " bytes splits a " + elem + "-byte element");
            }
            total += b.remaining();
        }
        if (total != info.byteSize()) {
            throw new IllegalArgumentException("tensor '" + info.name() + "': buffers hold " + total
                    + " bytes, " + info.dtype() + " shape needs " + info.byteSize());
        }
        return (int) n;
    }

    /** BF16 bits to float: bfloat16 is the upper half of a float, so the conversion is exact. */
    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /** Float to BF16 bits, rounding to nearest even (as PyTorch does); NaN stays a quiet NaN. */
    public static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            return (short) ((bits >>> 16) | 0x0040);
        }
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }

    /** IEEE 754 half-precision bits to float (exact, subnormals, infinities and NaN payloads included). */
    public static float halfToFloat(short bits) {
        int h = bits & 0xFFFF;
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1F;
        int mant = h & 0x3FF;
        if (exp == 0) {
            // zero or subnormal: mant * 2^-24, exactly representable as a float
            float v = Math.scalb((float) mant, -24);
            return sign != 0 ? -v : v;
        }
        if (exp == 0x1F) {
            return Float.intBitsToFloat(sign | 0x7F800000 | (mant << 13));
        }
        return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
    }

    /** Float to IEEE 754 half-precision bits, rounding to nearest even; too large becomes infinity. */
    public static short floatToHalf(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int exp = (bits >>> 23) & 0xFF;
        int mant = bits & 0x7FFFFF;
        if (exp == 0xFF) {
            return (short) (sign | 0x7C00 | (mant != 0 ? 0x200 | (mant >>> 13) : 0));
        }
        int e = exp - 127 + 15; // half exponent field if normal
        if (e >= 31) {
            return (short) (sign | 0x7C00);
        }
        // Shift the 24-bit significand down to the half's 11 bits (fewer for subnormal halves), then round.
        int shift = e >= 1 ? 13 : 14 - e;
        if (shift > 24 || exp == 0) {
            return (short) sign; // below half the smallest subnormal: rounds to zero
        }
        int m = mant | 0x800000;
        int r = m >>> shift;
        int rem = m & ((1 << shift) - 1);
        int halfway = 1 << (shift - 1);
        if (rem > halfway || (rem == halfway && (r & 1) != 0)) {
            r++;
        }
        // For normal halves r includes the implicit bit; adding it to (e-1)<<10 carries into the exponent correctly,
        // up to infinity. For subnormals r is the mantissa itself (and may round up to the smallest normal).
        int out = e >= 1 ? ((e - 1) << 10) + r : r;
        return (short) (sign | out);
    }

    /** Largest finite float8 e4m3fn value. */
    public static final float F8_E4M3_MAX = 448f;

    /**
     * float8 e4m3fn bits (1 sign, 4 exponent bits with bias 7, 3 mantissa bits; no infinities, {@code S.1111.111} is
     * NaN) to float, exactly.
     */
    public static float f8e4m3ToFloat(byte bits) {
        int c = bits & 0xFF;
        int exp = (c >>> 3) & 0xF;
        int mant = c & 0x7;
        float v;
        if (exp == 0xF && mant == 0x7) {
            v = Float.NaN;
        } else if (exp == 0) {
            v = Math.scalb((float) mant, -9); // subnormal: mant/8 * 2^-6
        } else {
            v = Math.scalb(1f + mant / 8f, exp - 7);
        }
        return (c & 0x80) != 0 ? -v : v;
    }

    /**
     * Float to float8 e4m3fn bits, rounding to nearest even as PyTorch does; magnitudes that round beyond 448, and
     * NaN and infinities, become NaN (the format has no infinity).
     */
    public static byte floatToF8e4m3(float f) {
        int sign = Float.floatToRawIntBits(f) < 0 ? 0x80 : 0;
        float a = Math.abs(f);
        if (Float.isNaN(a) || Float.isInfinite(a)) {
            return (byte) (sign | 0x7F);
        }
        int code;
        if (a < 0x1p-6f) {
            code = (int) Math.rint(a * 0x1p9f); // subnormal steps of 2^-9; 8 carries into the smallest normal
        } else {
            int e = Math.getExponent(a);
            int m = (int) Math.rint((a / Math.scalb(1f, e) - 1f) * 8f);
            if (m == 8) {
                e++;
                m = 0;
            }
            int biased = e + 7;
            code = biased > 15 || (biased == 15 && m == 7) ? 0x7F : (biased << 3) | m;
        }
        return (byte) (sign | code);
    }
}
