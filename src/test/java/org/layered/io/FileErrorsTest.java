package org.layered.io;

import org.junit.jupiter.api.Test;

import javax.imageio.IIOException;
import java.io.EOFException;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** Causes of file errors, found wherever the JDK puts them. */
class FileErrorsTest {
    @Test
    void knownCausesAreNamedFromTypesAndReasonsAlongTheCauseChain() {
        assertEquals("permission denied", FileErrors.cause(new AccessDeniedException("/x")));
        assertEquals("read-only file system", FileErrors.cause(new FileSystemException("/x", null,
                "Read-only file system")));
        assertEquals("disk full", FileErrors.cause(new IIOException("I/O error writing PNG file!",
                new IOException("No space left on device"))));
        assertTrue(FileErrors.isDiskFull(new IOException("wrapped", new IOException("Disk quota exceeded"))));
        assertEquals("the file ends early (truncated?)", FileErrors.cause(new IIOException("Error reading PNG",
                new EOFException())));
        assertEquals("CRC error", FileErrors.cause(new IIOException("Error reading PNG image data",
                new IOException("CRC error"))));
    }

    @Test
    void realOperatingSystemErrorsAreClassified() {
        // sysfs refuses new entries to every user, root included (read-only where a container mounts it so)
        IOException e = assertThrows(IOException.class, () -> Files.createDirectory(Path.of("/sys/layered-x")));
        String cause = FileErrors.cause(e);
        assertTrue(cause.equals("permission denied") || cause.equals("read-only file system"), cause);
        IOException d = FileErrors.describe("create", Path.of("/sys/layered-x"), e);
        assertEquals("cannot create /sys/layered-x: " + cause, d.getMessage());
        assertSame(e, d.getCause());
    }
}
