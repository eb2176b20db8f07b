package org.layered.weights.safetensors;

import com.google.gson.GsonBuilder;
import com.google.gson.stream.JsonWriter;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.HashSet;
import org.layered.engine.DType;

/**
 * Writes safetensors files the way the upstream library does: header keys in insertion order ({@code __metadata__}
 * first), consecutive {@code data_offsets}, header padded with spaces to a multiple of 8 bytes (so the data section
 * is 8-byte aligned), little-endian data.
 *
 * <p>Data is streamed to a {@link FileChannel} tensor by tensor, so the total may exceed 2 GiB; with
 * {@link #putGenerated} a tensor never has to exist in memory at all. The file is written under a temporary name
 * and moved into place, so a crash never leaves a half-written file that looks complete. Not thread-safe.
 */
public final class SafetensorsWriter {

    /** Produces one tensor's bytes on demand, so that huge synthetic checkpoints need no memory. */
    @FunctionalInterface
    public interface DataGenerator {
        /**
         * Writes exactly the tensor's byte size, little-endian, to {@code out}.
         *
         * @param out the destination; only {@code write} is meaningful, do not close it
         */
        void writeTo(WritableByteChannel out) throws IOException;
    }

    private record Entry(String name, DType dtype, long[] shape, long bytes, ByteBuffer buffer,
            DataGenerator generator) {
    }

    private final List<Entry> entries = new ArrayList<>();
    private final Set<String> names = new HashSet<>();
    private Map<String, String> metadata = Map.of();

    /** An empty writer. */
    public SafetensorsWriter() {
    }

    /** Sets the {@code __metadata__} entries (written first, in the map's iteration order); empty means none. */
    public SafetensorsWriter metadata(Map<String, String> metadata) {
        Map<String, String> copy = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : metadata.entrySet()) {
            copy.put(Objects.requireNonNull(e.getKey(), "metadata key"),
                    Objects.requireNonNull(e.getValue(), "metadata value"));
        }
        this.metadata = copy;
        return this;
    }

    /**
     * Adds a tensor whose bytes are {@code data}'s remaining bytes, already little-endian. The buffer is not copied
     * (its position is left alone) and must not change before {@link #write(Path)}.
     */
    public SafetensorsWriter put(String name, DType dtype, long[] shape, ByteBuffer data) {
        long bytes = check(name, dtype, shape);
        if (data.remaining() != bytes) {
            throw new IllegalArgumentException("tensor '" + name + "': " + dtype + Arrays.toString(shape) + " needs "
                    + bytes + " bytes, buffer has " + data.remaining());
        }
        add(new Entry(name, dtype, shape.clone(), bytes, data.duplicate(), null));
        return this;
    }

    /**
     * Adds a tensor whose bytes {@code generator} writes during {@link #write(Path)}; the byte count is checked.
     * This is how a benchmark writes a multi-gigabyte checkpoint without holding it in memory.
     */
    public SafetensorsWriter putGenerated(String name, DType dtype, long[] shape, DataGenerator generator) {
        long bytes = check(name, dtype, shape);
        add(new Entry(name, dtype, shape.clone(), bytes, null, Objects.requireNonNull(generator, "generator")));
        return this;
    }

    /** Adds raw little-endian bytes of any type. */
    public SafetensorsWriter putBytes(String name, DType dtype, long[] shape, byte[] data) {
        return put(name, dtype, shape, ByteBuffer.wrap(data.clone()));
    }

    /** Adds an F32 tensor. */
    public SafetensorsWriter putFloats(String name, long[] shape, float[] values) {
        return putFloats(name, DType.F32, shape, values);
    }

    /**
     * Adds a floating-point tensor, converting to {@code dtype} (F64, F32, F16, BF16 or F8_E4M3, rounding to nearest
     * even).
     */
    public SafetensorsWriter putFloats(String name, DType dtype, long[] shape, float[] values) {
        ByteBuffer b = allocate(name, dtype, shape, values.length);
        for (float v : values) {
            switch (dtype) {
                case F64 -> b.putDouble(v);
                case F32 -> b.putFloat(v);
                case F16 -> b.putShort(TensorValues.floatToHalf(v));
                case BF16 -> b.putShort(TensorValues.floatToBf16(v));
                case F8_E4M3 -> b.put(TensorValues.floatToF8e4m3(v));
                default -> throw new IllegalArgumentException("tensor '" + name + "': putFloats needs a floating "
                        + "dtype, got " + dtype + " (use putLongs)");
            }
        }
        return put(name, dtype, shape, b.flip());
    }

    /** Adds an F64 tensor. */
    public SafetensorsWriter putDoubles(String name, long[] shape, double[] values) {
        ByteBuffer b = allocate(name, DType.F64, shape, values.length);
        for (double v : values) {
            b.putDouble(v);
        }
        return put(name, DType.F64, shape, b.flip());
    }

    /** Adds an I64 tensor. */
    public SafetensorsWriter putLongs(String name, long[] shape, long[] values) {
        return putLongs(name, DType.I64, shape, values);
    }

    /**
     * Adds an integer or BOOL tensor, converting to {@code dtype}.
     *
     * @throws IllegalArgumentException if a value does not fit {@code dtype} (BOOL takes 0 and 1, U8 0..255)
     */
    public SafetensorsWriter putLongs(String name, DType dtype, long[] shape, long[] values) {
        ByteBuffer b = allocate(name, dtype, shape, values.length);
        long min;
        long max;
        switch (dtype) {
            case I64 -> { min = Long.MIN_VALUE; max = Long.MAX_VALUE; }
            case I32 -> { min = Integer.MIN_VALUE; max = Integer.MAX_VALUE; }
            case I16 -> { min = Short.MIN_VALUE; max = Short.MAX_VALUE; }
            case I8 -> { min = Byte.MIN_VALUE; max = Byte.MAX_VALUE; }
            case U8 -> { min = 0; max = 255; }
            case BOOL -> { min = 0; max = 1; }
            default -> throw new IllegalArgumentException("tensor '" + name + "': putLongs needs an integer or BOOL "
                    + "dtype, got " + dtype + " (use putFloats)");
        }
        for (int i = 0; i < values.length; i++) {
            long v = values[i];
            if (v < min || v > max) {
                throw new IllegalArgumentException("tensor '" + name + "': value " + v + " at index " + i
                        + " does not fit " + dtype);
            }
            switch (dtype.bytes()) {
                case 8 -> b.putLong(v);
                case 4 -> b.putInt((int) v);
                case 2 -> b.putShort((short) v);
                default -> b.put((byte) v);
            }
        }
        return put(name, dtype, shape, b.flip());
    }

    private ByteBuffer allocate(String name, DType dtype, long[] shape, int count) {
        long bytes = check(name, dtype, shape);
        if (bytes / dtype.bytes() != count) {
            throw new IllegalArgumentException("tensor '" + name + "': shape " + Arrays.toString(shape) + " has "
                    + bytes / dtype.bytes() + " elements, got " + count + " values");
        }
        return ByteBuffer.allocate((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Validates a new entry and returns its byte size. */
    private long check(String name, DType dtype, long[] shape) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(shape, "shape");
        if (name.equals("__metadata__")) {
            throw new IllegalArgumentException("'__metadata__' is reserved and cannot name a tensor");
        }
        if (names.contains(name)) {
            throw new IllegalArgumentException("tensor '" + name + "' was already added");
        }
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("tensor '" + name + "': negative dimension in "
                        + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        return Math.multiplyExact(n, (long) dtype.bytes());
    }

    private void add(Entry e) {
        names.add(e.name());
        entries.add(e);
    }

    /** The header JSON, unpadded: exposed to the package so tests can check exactly what is written. */
    String headerJson() {
        StringWriter sw = new StringWriter();
        try (JsonWriter w = new JsonWriter(sw)) {
            w.setHtmlSafe(false);
            w.beginObject();
            if (!metadata.isEmpty()) {
                w.name("__metadata__").beginObject();
                for (Map.Entry<String, String> e : metadata.entrySet()) {
                    w.name(e.getKey()).value(e.getValue());
                }
                w.endObject();
            }
            long offset = 0;
            for (Entry e : entries) {
                w.name(e.name()).beginObject();
                w.name("dtype").value(e.dtype().safetensorsName());
                w.name("shape").beginArray();
                for (long d : e.shape()) {
                    w.value(d);
                }
                w.endArray();
                w.name("data_offsets").beginArray().value(offset).value(offset + e.bytes()).endArray();
                w.endObject();
                offset += e.bytes();
            }
            w.endObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringWriter does not fail
        }
        return sw.toString();
    }

    /**
     * Writes the file (replacing any existing one). The writer can be reused to write the same content again.
     *
     * @throws IOException if writing fails or a generator writes the wrong number of bytes
     */
    public void write(Path file) throws IOException {
        byte[] json = headerJson().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        head.flip();

        Path abs = file.toAbsolutePath();
        Path tmp = abs.resolveSibling(abs.getFileName() + ".tmp-" + ProcessHandle.current().pid() + "-"
                + System.nanoTime());
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                writeFully(ch, head);
                for (Entry e : entries) {
                    if (e.buffer() != null) {
                        writeFully(ch, e.buffer().duplicate());
                    } else {
                        CountingChannel counter = new CountingChannel(ch);
                        e.generator().writeTo(counter);
                        if (counter.count != e.bytes()) {
                            throw new IOException("tensor '" + e.name() + "': generator wrote " + counter.count
                                    + " bytes, " + e.dtype() + Arrays.toString(e.shape()) + " needs " + e.bytes());
                        }
                    }
                }
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void writeFully(WritableByteChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    /** Passes writes through and counts them; hides the FileChannel so a generator cannot seek or close it. */
    private static final class CountingChannel implements WritableByteChannel {
        private final WritableByteChannel out;
        long count;

        CountingChannel(WritableByteChannel out) {
            this.out = out;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            int n = 0;
            while (src.hasRemaining()) {
                n += out.write(src);
            }
            count += n;
            return n;
        }

        @Override
        public boolean isOpen() {
            return out.isOpen();
        }

        @Override
        public void close() {
            // the writer owns the file channel
        }
    }

    /**
     * Writes a sharded-checkpoint index: {@code {"metadata": metadata, "weight_map": weightMap}}, pretty-printed,
     * keys in the maps' iteration order (pass sorted maps to match the Python writers).
     */
    public static void writeIndex(Path indexFile, Map<String, String> weightMap, Map<String, Object> metadata)
            throws IOException {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("metadata", metadata == null ? Map.of() : metadata);
        root.put("weight_map", weightMap);
        String json = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(root);
        Files.writeString(indexFile, json + "\n", StandardCharsets.UTF_8);
    }
}
