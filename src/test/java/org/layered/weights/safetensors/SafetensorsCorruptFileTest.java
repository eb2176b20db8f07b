package org.layered.weights.safetensors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.layered.weights.safetensors.RawFiles.assertFormatError;
import static org.layered.weights.safetensors.RawFiles.entry;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every validation failure of {@link SafetensorsFile#open}: right exception, file and tensor named, clear problem. */
class SafetensorsCorruptFileTest {
    @TempDir
    Path dir;

    private Path raw(String name, String json, int dataBytes) throws IOException {
        return RawFiles.write(dir.resolve(name), json, dataBytes);
    }

    @Test
    void validHandWrittenFileOpens() throws IOException {
        Path f = raw("ok.safetensors", "{" + entry("a", "F32", "[2]", 0, 8) + "," + entry("b", "U8", "[3]", 8, 11)
                + ",\"__metadata__\":{\"x\":\"y\"}}  ", 11);
        try (SafetensorsFile s = SafetensorsFile.open(f)) {
            assertEquals(2, s.tensors().size());
            assertEquals("y", s.metadata().get("x"));
        }
    }

    @Test
    void truncatedData() throws IOException {
        String json = "{" + entry("a", "F32", "[2]", 0, 8) + "," + entry("b", "F32", "[4]", 8, 24) + "}";
        Path f = raw("trunc.safetensors", json, 20);
        long header = 8 + json.length();
        SafetensorsFormatException e = assertFormatError(f, () -> SafetensorsFile.open(f), "tensor 'b'",
                "file is truncated: expected at least " + (header + 24) + " bytes, found " + (header + 20),
                "re-download");
        assertEquals("b", e.tensor());
    }

    @Test
    void fileShorterThanEightBytes() throws IOException {
        Path f = RawFiles.bytes(dir.resolve("tiny.safetensors"), new byte[] {1, 2, 3, 4, 5});
        SafetensorsFormatException e = assertFormatError(f, () -> SafetensorsFile.open(f), "too short (5 bytes)");
        assertNull(e.tensor());
        Path empty = RawFiles.bytes(dir.resolve("empty.safetensors"), new byte[0]);
        assertFormatError(empty, () -> SafetensorsFile.open(empty), "too short (0 bytes)");
    }

    @Test
    void headerLengthPastEndOrAbsurd() throws IOException {
        ByteBuffer b = ByteBuffer.allocate(50).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1000);
        Path f = RawFiles.bytes(dir.resolve("past.safetensors"), b.array());
        assertFormatError(f, () -> SafetensorsFile.open(f), "file is truncated: expected at least 1008 bytes",
                "found 50");
        b.putLong(0, 1L << 40);
        Path g = RawFiles.bytes(dir.resolve("absurd.safetensors"), b.array());
        assertFormatError(g, () -> SafetensorsFile.open(g), "header length 1099511627776 is absurd");
        b.putLong(0, -1);
        Path h = RawFiles.bytes(dir.resolve("neg.safetensors"), b.array());
        assertFormatError(h, () -> SafetensorsFile.open(h), "header length 18446744073709551615 is absurd");
    }

    @Test
    void headerNotJsonOrNotUtf8() throws IOException {
        Path f = raw("bad.safetensors", "{\"a\": {\"dtype\": \"F32\",", 0);
        assertFormatError(f, () -> SafetensorsFile.open(f), "header is not valid JSON");
        Path g = raw("trail.safetensors", "{} x", 0);
        assertFormatError(g, () -> SafetensorsFile.open(g), "header is not valid JSON");
        Path h = raw("lenient.safetensors", "{a: 1}", 0);
        assertFormatError(h, () -> SafetensorsFile.open(h), "header is not valid JSON");
        Path u = dir.resolve("utf.safetensors");
        ByteBuffer b = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putLong(4)
                .put(new byte[] {'{', (byte) 0xC3, (byte) 0x28, '}'});
        RawFiles.bytes(u, b.array());
        assertFormatError(u, () -> SafetensorsFile.open(u), "header is not valid UTF-8");
    }

    @Test
    void headerOrEntryNotAnObject() throws IOException {
        Path f = raw("arr.safetensors", "[1, 2]", 0);
        assertFormatError(f, () -> SafetensorsFile.open(f), "header is an array, expected a JSON object");
        Path g = raw("entry.safetensors", "{\"a\": 3}", 0);
        assertFormatError(g, () -> SafetensorsFile.open(g), "tensor 'a'", "header entry is a number");
        Path h = raw("meta.safetensors", "{\"__metadata__\": {\"n\": 3}}", 0);
        assertFormatError(h, () -> SafetensorsFile.open(h), "__metadata__ value of 'n' is a number");
    }

    @Test
    void missingOrWrongTypedFields() throws IOException {
        Path f = raw("nodtype.safetensors", "{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4);
        assertFormatError(f, () -> SafetensorsFile.open(f), "tensor 'a'", "'dtype' is missing");
        Path g = raw("shape.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":\"1\",\"data_offsets\":[0,4]}}", 4);
        assertFormatError(g, () -> SafetensorsFile.open(g), "tensor 'a'", "'shape' is a string");
        Path h = raw("frac.safetensors", "{" + entry("a", "F32", "[1.5]", 0, 4) + "}", 4);
        assertFormatError(h, () -> SafetensorsFile.open(h), "tensor 'a'", "'shape' [1.5] is not an array of "
                + "integers");
        Path i = raw("offs.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", 4);
        assertFormatError(i, () -> SafetensorsFile.open(i), "tensor 'a'", "has 3 elements, expected 2");
        Path j = raw("nooffs.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4);
        assertFormatError(j, () -> SafetensorsFile.open(j), "tensor 'a'", "'data_offsets' is missing");
    }

    @Test
    void unknownDtype() throws IOException {
        Path f = raw("dtype.safetensors", "{" + entry("w", "F8_E5M2", "[4]", 0, 4) + "}", 4);
        assertFormatError(f, () -> SafetensorsFile.open(f), "tensor 'w'", "unknown dtype 'F8_E5M2'",
                "supported: F64, F32, F16, BF16, F8_E4M3");
        Path g = raw("lower.safetensors", "{" + entry("w", "bf16", "[2]", 0, 4) + "}", 4);
        assertFormatError(g, () -> SafetensorsFile.open(g), "tensor 'w'", "unknown dtype 'bf16'");
    }

    @Test
    void negativeDimensionAndBadOffsets() throws IOException {
        Path f = raw("negdim.safetensors", "{" + entry("a", "F32", "[2,-1]", 0, 0) + "}", 0);
        assertFormatError(f, () -> SafetensorsFile.open(f), "tensor 'a'", "negative dimension -1");
        Path g = raw("negoff.safetensors", "{" + entry("a", "F32", "[1]", -4, 0) + "}", 0);
        assertFormatError(g, () -> SafetensorsFile.open(g), "tensor 'a'", "negative data_offsets");
        Path h = raw("order.safetensors", "{" + entry("a", "F32", "[1]", 8, 4) + "}", 8);
        assertFormatError(h, () -> SafetensorsFile.open(h), "tensor 'a'", "begin after they end");
        Path i = raw("huge.safetensors", "{" + entry("a", "F32", "[1]", 0, 99999999999999999L) + "}", 4);
        assertFormatError(i, () -> SafetensorsFile.open(i), "tensor 'a'", "size mismatch");
        Path j = raw("overflowoff.safetensors",
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,99999999999999999999]}}", 4);
        assertFormatError(j, () -> SafetensorsFile.open(j), "tensor 'a'", "is not an array of 2 integers");
    }

    @Test
    void offsetsOutOfRange() throws IOException {
        // a single tensor whose offsets point far beyond the end of a short file
        Path f = raw("range.safetensors", "{" + entry("far", "U8", "[4]", 1000, 1004) + "}", 8);
        assertFormatError(f, () -> SafetensorsFile.open(f), "tensor 'far'", "file is truncated",
                "ends at data offset 1004");
    }

    @Test
    void overlappingTensors() throws IOException {
        Path f = raw("overlap.safetensors", "{" + entry("a", "F32", "[2]", 0, 8) + "," + entry("b", "F32", "[2]", 4, 12)
                + "}", 12);
        assertFormatError(f, () -> SafetensorsFile.open(f), "tensor 'b'", "data bytes [4, 12) overlap tensor 'a' "
                + "[0, 8)");
        Path g = raw("same.safetensors", "{" + entry("a", "F32", "[2]", 0, 8) + "," + entry("b", "I32", "[2]", 0, 8)
                + "}", 8);
        assertFormatError(g, () -> SafetensorsFile.open(g), "overlap");
    }

    @Test
    void sizeMismatchBetweenDtypeShapeAndOffsets() throws IOException {
        Path f = raw("size.safetensors", "{" + entry("a", "F32", "[3]", 0, 8) + "}", 8);
        assertFormatError(f, () -> SafetensorsFile.open(f), "tensor 'a'", "size mismatch: data_offsets [0, 8] span 8 "
                + "bytes but F32 shape [3] needs 12");
        Path g = raw("overflow.safetensors", "{" + entry("a", "F64", "[1099511627776,1099511627776]", 0, 8) + "}", 8);
        assertFormatError(g, () -> SafetensorsFile.open(g), "tensor 'a'", "more bytes than a long can count");
    }

    @Test
    void duplicateTensorName() throws IOException {
        Path f = raw("dup.safetensors", "{" + entry("a", "F32", "[1]", 0, 4) + "," + entry("a", "F32", "[1]", 4, 8)
                + "}", 8);
        SafetensorsFormatException e = assertFormatError(f, () -> SafetensorsFile.open(f), "tensor 'a'",
                "appears twice");
        assertEquals("a", e.tensor());
        Path g = raw("dupfield.safetensors", "{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[1],"
                + "\"data_offsets\":[0,4]}}", 4);
        assertFormatError(g, () -> SafetensorsFile.open(g), "tensor 'a'", "duplicate key 'dtype'");
    }

    @Test
    void holeInDataAndTrailingBytes() throws IOException {
        Path f = raw("hole.safetensors", "{" + entry("a", "F32", "[1]", 0, 4) + "," + entry("b", "F32", "[1]", 8, 12)
                + "}", 12);
        assertFormatError(f, () -> SafetensorsFile.open(f), "tensor 'b'", "hole in the data section: bytes [4, 8)");
        Path g = raw("trailing.safetensors", "{" + entry("a", "F32", "[1]", 0, 4) + "}", 9);
        assertFormatError(g, () -> SafetensorsFile.open(g), "5 trailing bytes after the last tensor");
        Path h = raw("nothing.safetensors", "{}", 3);
        assertFormatError(h, () -> SafetensorsFile.open(h), "3 trailing bytes");
    }

    @Test
    void fileShrinkingAfterOpenIsReported() throws IOException {
        Path f = dir.resolve("shrink.safetensors");
        new SafetensorsWriter().putFloats("a", new long[] {4}, new float[4]).write(f);
        try (SafetensorsFile s = SafetensorsFile.open(f)) {
            try (var ch = java.nio.channels.FileChannel.open(f, java.nio.file.StandardOpenOption.WRITE)) {
                ch.truncate(Files.size(f) - 4);
            }
            assertFormatError(f, () -> s.data("a"), "tensor 'a'", "file shrank since it was opened");
        }
    }

    @Test
    void positionalReadsReadTheTensorAndReportAFileThatShrankUnderThem() throws IOException {
        Path f = dir.resolve("shrink-read.safetensors");
        new SafetensorsWriter().putFloats("a", new long[] {2}, new float[] {1, 2})
                .putFloats("b", new long[] {4}, new float[] {3, 4, 5, 6}).write(f);
        try (SafetensorsFile s = SafetensorsFile.open(f)) {
            ByteBuffer dst = ByteBuffer.allocateDirect(8).order(ByteOrder.LITTLE_ENDIAN);
            s.read("b", 4, dst);
            assertEquals(0, dst.remaining());
            assertEquals(4f, dst.getFloat(0));
            assertEquals(5f, dst.getFloat(4));
            assertThrows(IndexOutOfBoundsException.class, () -> s.read("b", 12, ByteBuffer.allocate(8)));
            try (var ch = java.nio.channels.FileChannel.open(f, java.nio.file.StandardOpenOption.WRITE)) {
                ch.truncate(Files.size(f) - 6);
            }
            s.read("a", 0, ByteBuffer.allocate(8)); // still whole
            SafetensorsFormatException e = assertFormatError(f, () -> s.read("b", 0, ByteBuffer.allocate(16)),
                    "tensor 'b'", "file ended at byte", "shrank from " + s.fileSize() + " to "
                            + (s.fileSize() - 6) + " bytes", "run again to reload the model");
            assertEquals("b", e.tensor());
        }
    }

    @Test
    void folderIsNotAFile() {
        assertFormatError(dir, () -> SafetensorsFile.open(dir), "is a folder", "ShardedCheckpoint");
    }
}
