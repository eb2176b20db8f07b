package org.layered.export;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** File handling shared by the exporters. */
final class ExportSupport {
    private ExportSupport() {}

    /** The temporary sibling that a writer fills before {@link #commit}. */
    static Path partFile(Path file) {
        Path name = file.getFileName();
        if (name == null) {
            throw new IllegalArgumentException("not a file path: " + file);
        }
        Path parent = file.toAbsolutePath().getParent();
        return parent.resolve(name + ".part");
    }

    /** Moves the finished temporary file over {@code file}. */
    static void commit(Path part, Path file) throws IOException {
        try {
            Files.move(part, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(part, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Best-effort removal of a temporary file after a failure. */
    static void discard(Path part) {
        try {
            Files.deleteIfExists(part);
        } catch (IOException ignored) {
            // the original failure is what matters
        }
    }
}
