package org.layered.weights.safetensors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.function.Executable;

/** Hand-made safetensors bytes for tests, bypassing the writer so that corrupt layouts can be produced. */
final class RawFiles {
    private RawFiles() {
    }

    /** Writes header length + {@code json} (unpadded) + {@code dataBytes} zero bytes. */
    static Path write(Path file, String json, int dataBytes) throws IOException {
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Files.write(file, b.array());
        return file;
    }

    /** Writes exactly {@code bytes}. */
    static Path bytes(Path file, byte[] bytes) throws IOException {
        Files.write(file, bytes);
        return file;
    }

    /** One tensor entry of a header. */
    static String entry(String name, String dtype, String shape, long begin, long end) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" + begin
                + "," + end + "]}";
    }

    /**
     * Asserts that {@code action} throws a {@link SafetensorsFormatException} whose one-line message names
     * {@code file} and contains every fragment; returns it.
     */
    static SafetensorsFormatException assertFormatError(Path file, Executable action, String... fragments) {
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, action);
        String msg = e.getMessage();
        assertTrue(msg.contains(file.toString()), () -> "message should name " + file + ": " + msg);
        for (String f : fragments) {
            assertTrue(msg.contains(f), () -> "message should contain '" + f + "': " + msg);
        }
        assertFalse(msg.contains("\n") || msg.contains("\r"), () -> "message should be one line: " + msg);
        assertEquals(file, e.file());
        return e;
    }
}
