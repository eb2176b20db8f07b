package org.layered.weights.safetensors;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import org.layered.engine.DType;

/**
 * A read-only view of one safetensors file: the header is read and fully validated by {@link #open(Path)}; tensor
 * bytes are read on demand with positional reads by {@link #read(String, long, ByteBuffer)} (what the engine loads
 * weights with), or memory-mapped by {@link #data(String)} for Java readers.
 *
 * <p>Layout: 8-byte little-endian header length {@code N}, {@code N} bytes of UTF-8 JSON, then the data section.
 * Every header offset is relative to the data section, which starts at {@link #dataOffset()}. Validation follows the
 * upstream Rust {@code safetensors} crate: tensors must tile the data section exactly (no overlap, no hole, no trailing
 * bytes), so a file that passes cannot hide a truncated download or a mis-written offset.
 *
 * <p>Why two ways: a mapping's pages vanish when the file shrinks under it. Java code touching such a page gets an
 * {@code InternalError}, but native code (libtorch) gets SIGBUS, which aborts the JVM; so native memory is only ever
 * filled by {@code read}, whose short count on a shrunken file becomes an exception naming file and tensor.
 *
 * <p>Thread-safe. Buffers returned by {@link #data(String)} stay valid after {@link #close()} (a mapping lives until
 * its buffer is garbage-collected), so callers should copy what they need and drop the buffers.
 */
public final class SafetensorsFile implements AutoCloseable {
    /** Upstream's limit; a larger value means a corrupt length field, and allocating it would only fail later. */
    static final long MAX_HEADER_BYTES = 100_000_000L;
    /** Default mapping chunk: well below the 2^31 limit of a ByteBuffer, and a round size for the OS. */
    static final long DEFAULT_CHUNK_BYTES = 1L << 30;

    private static final String SUPPORTED = "F64, F32, F16, BF16, F8_E4M3, I64, I32, I16, I8, U8, BOOL";
    private static final String REDOWNLOAD = "the file is corrupt; re-download it";

    private static volatile long maxChunkBytes = DEFAULT_CHUNK_BYTES;

    private final Path path;
    private final long fileSize;
    private final Object fileKey;
    private final long dataOffset;
    private final Map<String, String> metadata;
    private final List<TensorInfo> tensors;
    private final Map<String, TensorInfo> byName;
    private FileChannel channel; // guarded by this; reopened if an interrupt closed it
    private boolean closed; // guarded by this

    private SafetensorsFile(Path path, long fileSize, Object fileKey, long dataOffset, Map<String, String> metadata,
            List<TensorInfo> tensors, FileChannel channel) {
        this.path = path;
        this.fileSize = fileSize;
        this.fileKey = fileKey;
        this.dataOffset = dataOffset;
        this.metadata = metadata;
        this.tensors = tensors;
        this.channel = channel;
        Map<String, TensorInfo> map = new HashMap<>(tensors.size() * 2);
        for (TensorInfo t : tensors) {
            map.put(t.name(), t);
        }
        this.byName = map;
    }

    /**
     * Sets the largest mapped chunk {@link #data(String)} returns (default 1 GiB); tests use tiny values to exercise
     * multi-chunk tensors without multi-gigabyte files. Applies to later {@code data} calls of every instance.
     *
     * @param bytes between 1 and {@link Integer#MAX_VALUE}
     * @return the previous value, so a test can restore it
     */
    static long setMaxChunkBytes(long bytes) {
        if (bytes < 1 || bytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("chunk size must be in [1, 2^31-1], got " + bytes);
        }
        long old = maxChunkBytes;
        maxChunkBytes = bytes;
        return old;
    }

    /**
     * Opens {@code path}, reads and validates its header. Tensor bytes are not read.
     *
     * @throws SafetensorsFormatException if the file is not a valid safetensors file (the message names the file,
     *     the tensor if any, and the problem)
     * @throws IOException if the file cannot be read
     */
    public static SafetensorsFile open(Path path) throws IOException {
        Objects.requireNonNull(path, "path");
        if (Files.isDirectory(path)) {
            throw new SafetensorsFormatException(path, null, "is a folder, not a safetensors file",
                    "open a folder with ShardedCheckpoint.open");
        }
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
        try {
            Object key = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
            long size = ch.size();
            if (size < 8) {
                throw new SafetensorsFormatException(path, null, "file is too short (" + size
                        + " bytes) to hold the 8-byte header length of a safetensors file",
                        "the file is empty or truncated; re-download it");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0, path);
            long n = lenBuf.getLong(0);
            if (n < 0 || n > MAX_HEADER_BYTES) {
                throw new SafetensorsFormatException(path, null, "header length " + Long.toUnsignedString(n)
                        + " is absurd (limit " + MAX_HEADER_BYTES + " bytes): this is not a safetensors file",
                        REDOWNLOAD);
            }
            if (n > size - 8) {
                throw new SafetensorsFormatException(path, null, "file is truncated: expected at least " + (8 + n)
                        + " bytes for the " + n + "-byte header, found " + size,
                        "the download was probably interrupted; re-download the file");
            }
            ByteBuffer headerBuf = ByteBuffer.allocate((int) n);
            readFully(ch, headerBuf, 8, path);
            headerBuf.flip();
            String text;
            try {
                text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(headerBuf).toString();
            } catch (CharacterCodingException e) {
                throw new SafetensorsFormatException(path, null, "header is not valid UTF-8", REDOWNLOAD, e);
            }
            long dataOffset = 8 + n;
            Header h = parseHeader(path, text, dataOffset, size - dataOffset);
            return new SafetensorsFile(path, size, key, dataOffset, h.metadata, h.tensors, ch);
        } catch (IOException | RuntimeException e) {
            try {
                ch.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    private record Header(Map<String, String> metadata, List<TensorInfo> tensors) {
    }

    /** Parses and validates the JSON header against a data section of {@code dataLength} bytes. */
    private static Header parseHeader(Path path, String text, long dataOffset, long dataLength)
            throws SafetensorsFormatException {
        Object root;
        try {
            root = StrictJson.parse(text);
        } catch (StrictJson.Error e) {
            List<String> p = e.path;
            if (e.duplicate && p.size() == 1) {
                throw new SafetensorsFormatException(path, p.get(0), "tensor name appears twice in the header "
                        + "(a JSON reader would silently keep only one of them)", REDOWNLOAD);
            }
            String tensor = p.isEmpty() || p.get(0).equals("__metadata__") ? null : p.get(0);
            throw new SafetensorsFormatException(path, tensor, (e.duplicate ? "header has a " : "header is not "
                    + "valid JSON: ") + e.getMessage(), REDOWNLOAD);
        }
        if (!(root instanceof Map)) {
            throw new SafetensorsFormatException(path, null, "header is " + StrictJson.typeName(root)
                    + ", expected a JSON object", REDOWNLOAD);
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> entries = (Map<String, Object>) root;
        Map<String, String> metadata = new LinkedHashMap<>();
        List<TensorInfo> tensors = new ArrayList<>(entries.size());
        for (Map.Entry<String, Object> e : entries.entrySet()) {
            if (e.getKey().equals("__metadata__")) {
                parseMetadata(path, e.getValue(), metadata);
            } else {
                tensors.add(parseEntry(path, e.getKey(), e.getValue()));
            }
        }
        checkLayout(path, tensors, dataOffset, dataLength);
        return new Header(Collections.unmodifiableMap(metadata), List.copyOf(tensors));
    }

    private static void parseMetadata(Path path, Object value, Map<String, String> out)
            throws SafetensorsFormatException {
        if (!(value instanceof Map)) {
            throw new SafetensorsFormatException(path, null, "__metadata__ is " + StrictJson.typeName(value)
                    + ", expected an object of strings", REDOWNLOAD);
        }
        for (Map.Entry<?, ?> m : ((Map<?, ?>) value).entrySet()) {
            if (!(m.getValue() instanceof String s)) {
                throw new SafetensorsFormatException(path, null, "__metadata__ value of '" + m.getKey() + "' is "
                        + StrictJson.typeName(m.getValue()) + ", safetensors allows only strings", REDOWNLOAD);
            }
            out.put((String) m.getKey(), s);
        }
    }

    private static TensorInfo parseEntry(Path path, String name, Object value) throws SafetensorsFormatException {
        if (!(value instanceof Map)) {
            throw new SafetensorsFormatException(path, name, "header entry is " + StrictJson.typeName(value)
                    + ", expected an object with dtype, shape and data_offsets", REDOWNLOAD);
        }
        Map<?, ?> m = (Map<?, ?>) value;
        Object dt = m.get("dtype");
        if (!(dt instanceof String dtName)) {
            throw new SafetensorsFormatException(path, name, "'dtype' is " + StrictJson.typeName(dt)
                    + ", expected a string such as \"BF16\"", REDOWNLOAD);
        }
        DType dtype = null;
        for (DType d : DType.values()) {
            // Exact match, as upstream: the header is machine-written, "bf16" would be a different writer's bug.
            if (d.safetensorsName().equals(dtName)) {
                dtype = d;
            }
        }
        if (dtype == null) {
            throw new SafetensorsFormatException(path, name, "unknown dtype '" + dtName + "' (supported: "
                    + SUPPORTED + ")", "convert the checkpoint to a supported type, e.g. BF16 or F32");
        }
        long[] shape = longArray(path, name, "shape", m.get("shape"), -1);
        for (long d : shape) {
            if (d < 0) {
                throw new SafetensorsFormatException(path, name, "negative dimension " + d + " in shape "
                        + m.get("shape"), REDOWNLOAD);
            }
        }
        long[] offsets = longArray(path, name, "data_offsets", m.get("data_offsets"), 2);
        long begin = offsets[0];
        long end = offsets[1];
        if (begin < 0 || end < 0) {
            throw new SafetensorsFormatException(path, name, "negative data_offsets " + m.get("data_offsets"),
                    REDOWNLOAD);
        }
        if (begin > end) {
            throw new SafetensorsFormatException(path, name, "data_offsets " + m.get("data_offsets")
                    + " begin after they end", REDOWNLOAD);
        }
        long bytes;
        try {
            long numel = 1;
            for (long d : shape) {
                numel = Math.multiplyExact(numel, d);
            }
            bytes = Math.multiplyExact(numel, (long) dtype.bytes());
        } catch (ArithmeticException e) {
            throw new SafetensorsFormatException(path, name, "shape " + m.get("shape") + " of " + dtype
                    + " has more bytes than a long can count", REDOWNLOAD);
        }
        if (end - begin != bytes) {
            throw new SafetensorsFormatException(path, name, "size mismatch: data_offsets " + m.get("data_offsets")
                    + " span " + (end - begin) + " bytes but " + dtype + " shape " + m.get("shape") + " needs "
                    + bytes, REDOWNLOAD);
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    /** Reads a JSON array of integers (any count if {@code count < 0}). */
    private static long[] longArray(Path path, String name, String key, Object v, int count)
            throws SafetensorsFormatException {
        String expected = count < 0 ? "an array of integers" : "an array of " + count + " integers";
        if (!(v instanceof List<?> list)) {
            throw new SafetensorsFormatException(path, name, "'" + key + "' is " + StrictJson.typeName(v)
                    + ", expected " + expected, REDOWNLOAD);
        }
        if (count >= 0 && list.size() != count) {
            throw new SafetensorsFormatException(path, name, "'" + key + "' " + list + " has " + list.size()
                    + " elements, expected " + count, REDOWNLOAD);
        }
        long[] out = new long[list.size()];
        for (int i = 0; i < out.length; i++) {
            Long l = list.get(i) instanceof StrictJson.Num num ? num.asLong() : null;
            if (l == null) {
                throw new SafetensorsFormatException(path, name, "'" + key + "' " + list + " is not " + expected
                        + " (element " + i + " is " + StrictJson.typeName(list.get(i)) + " " + list.get(i) + ")",
                        REDOWNLOAD);
            }
            out[i] = l;
        }
        return out;
    }

    /** Checks that the tensors tile {@code [0, dataLength)} exactly; sorts {@code tensors} into file order. */
    private static void checkLayout(Path path, List<TensorInfo> tensors, long dataOffset, long dataLength)
            throws SafetensorsFormatException {
        TensorInfo last = null;
        for (TensorInfo t : tensors) {
            if (last == null || t.end() > last.end()) {
                last = t;
            }
        }
        if (last != null && last.end() > dataLength) {
            throw new SafetensorsFormatException(path, last.name(), "file is truncated: expected at least "
                    + (dataOffset + last.end()) + " bytes, found " + (dataOffset + dataLength) + " (this tensor "
                    + "ends at data offset " + last.end() + ")",
                    "the download was probably interrupted; re-download the file");
        }
        tensors.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end)
                .thenComparing(TensorInfo::name));
        long expected = 0;
        TensorInfo prev = null;
        for (TensorInfo t : tensors) {
            if (t.begin() < expected) {
                throw new SafetensorsFormatException(path, t.name(), "data bytes [" + t.begin() + ", " + t.end()
                        + ") overlap tensor '" + prev.name() + "' [" + prev.begin() + ", " + prev.end() + ")",
                        REDOWNLOAD);
            }
            if (t.begin() > expected) {
                throw new SafetensorsFormatException(path, t.name(), "hole in the data section: bytes ["
                        + expected + ", " + t.begin() + ") before this tensor belong to no tensor", REDOWNLOAD);
            }
            expected = t.end();
            prev = t;
        }
        if (expected != dataLength) {
            throw new SafetensorsFormatException(path, prev == null ? null : prev.name(), "data section has "
                    + (dataLength - expected) + " trailing bytes after the last tensor (tensors end at "
                    + expected + ", data section is " + dataLength + " bytes)", REDOWNLOAD);
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos, Path path) throws IOException {
        while (buf.hasRemaining()) {
            int r = ch.read(buf, pos);
            if (r < 0) {
                throw new SafetensorsFormatException(path, null, "file ended while reading the header "
                        + "(it shrank while being opened)", "do not modify the file while it is read");
            }
            pos += r;
        }
    }

    /** The file this view reads. */
    public Path path() {
        return path;
    }

    /** The {@code __metadata__} entries (empty if absent), in header order; unmodifiable. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** All tensors in file order (ascending data offsets); unmodifiable. */
    public List<TensorInfo> tensors() {
        return tensors;
    }

    /** Whether the file has a tensor called {@code name}. */
    public boolean contains(String name) {
        return byName.containsKey(name);
    }

    /**
     * The header entry of {@code name}.
     *
     * @throws NoSuchElementException naming the file and the closest existing names
     */
    public TensorInfo info(String name) {
        TensorInfo t = byName.get(name);
        if (t == null) {
            throw new NoSuchElementException(SafetensorsFormatException.oneLine(path + ": no tensor '" + name
                    + "'; " + Suggestions.hint(name, byName.keySet())));
        }
        return t;
    }

    /** Absolute file position of the data section (8 + header length); header offsets are relative to it. */
    public long dataOffset() {
        return dataOffset;
    }

    /** File size in bytes when it was opened. */
    public long fileSize() {
        return fileSize;
    }

    /**
     * Reads bytes {@code [offset, offset + dst.remaining())} of tensor {@code name}'s data into {@code dst} (any
     * buffer, typically a direct view of native tensor memory) with positional reads; {@code dst}'s position ends at
     * its limit.
     *
     * @throws SafetensorsFormatException naming the file and tensor if the file ended early: it was truncated or
     *     replaced in place since it was opened
     * @throws IndexOutOfBoundsException if the range is not inside the tensor
     * @throws IOException if reading fails
     * @throws IllegalStateException if this file was closed
     */
    public void read(String name, long offset, ByteBuffer dst) throws IOException {
        TensorInfo t = info(name);
        long length = t.end() - t.begin();
        if (offset < 0 || offset + dst.remaining() > length) {
            throw new IndexOutOfBoundsException(path + ": bytes [" + offset + ", " + (offset + dst.remaining())
                    + ") are outside tensor '" + name + "' (" + length + " bytes)");
        }
        long pos = dataOffset + t.begin() + offset;
        for (int attempt = 0; ; attempt++) {
            FileChannel ch = channel();
            try {
                while (dst.hasRemaining()) {
                    int n = ch.read(dst, pos);
                    if (n < 0) {
                        throw new SafetensorsFormatException(path, name, "file ended at byte " + pos + " while "
                                + "reading this tensor: it shrank from " + fileSize + " to " + ch.size()
                                + " bytes since the model was loaded (truncated or overwritten)",
                                "do not change model files while they are in use; run again to reload the model");
                    }
                    pos += n;
                }
                return;
            } catch (ClosedChannelException e) {
                // An interrupt of another thread reading through the shared channel closes it for everyone:
                // reopen once, unless this thread itself was interrupted or the file was closed.
                if (attempt > 0 || Thread.currentThread().isInterrupted()) {
                    throw e;
                }
            }
        }
    }

    /**
     * The bytes of {@code name}, memory-mapped read-only, little-endian, without copying. For Java readers only
     * (tests, small values): never hand these buffers to native code, see the class comment.
     *
     * <p>A tensor larger than the chunk size (1 GiB) comes as several consecutive buffers, each a whole number of
     * elements and under 2^31 bytes (the limit of a {@link ByteBuffer}); an empty tensor comes as one empty buffer.
     * Each call maps afresh and returns new buffers (positions 0, limits their sizes).
     *
     * @throws NoSuchElementException if there is no such tensor
     * @throws SafetensorsFormatException if the file shrank or was replaced since it was opened
     * @throws IOException if mapping fails
     * @throws IllegalStateException if this file was closed
     */
    public List<ByteBuffer> data(String name) throws IOException {
        TensorInfo t = info(name);
        long elem = t.dtype().bytes();
        long chunk = Math.max(elem, maxChunkBytes / elem * elem);
        for (int attempt = 0; ; attempt++) {
            FileChannel ch = channel();
            try {
                long need = dataOffset + t.end();
                long now = ch.size();
                if (now < need) {
                    throw new SafetensorsFormatException(path, name, "file shrank since it was opened: expected at "
                            + "least " + need + " bytes, found " + now, "do not modify checkpoint files in use");
                }
                long length = t.end() - t.begin();
                long pos = dataOffset + t.begin();
                List<ByteBuffer> out = new ArrayList<>((int) Math.min(1024, length / chunk + 1));
                do {
                    long n = Math.min(chunk, length);
                    out.add(ch.map(FileChannel.MapMode.READ_ONLY, pos, n).order(ByteOrder.LITTLE_ENDIAN));
                    pos += n;
                    length -= n;
                } while (length > 0);
                return Collections.unmodifiableList(out);
            } catch (ClosedChannelException e) {
                // An interrupt of another thread mapping through the shared channel closes it for everyone:
                // reopen once, unless this thread itself was interrupted or the file was closed.
                if (attempt > 0 || Thread.currentThread().isInterrupted()) {
                    throw e;
                }
            }
        }
    }

    /** The open channel, reopened (after checking it is still the same file) if an interrupt closed it. */
    private synchronized FileChannel channel() throws IOException {
        if (closed) {
            throw new IllegalStateException(path + ": safetensors file was closed");
        }
        if (!channel.isOpen()) {
            FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
            Object key = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
            if (fileKey != null && !fileKey.equals(key)) {
                ch.close();
                throw new SafetensorsFormatException(path, null, "file was replaced since it was opened",
                        "open it again");
            }
            channel = ch;
        }
        return channel;
    }

    /** Closes the file; buffers already returned by {@link #data(String)} stay readable. Idempotent. */
    @Override
    public synchronized void close() throws IOException {
        closed = true;
        channel.close();
    }

    @Override
    public String toString() {
        return "SafetensorsFile[" + path + ", " + tensors.size() + " tensors]";
    }
}
