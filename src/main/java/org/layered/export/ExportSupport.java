package org.layered.export;

import org.layered.image.RgbaImage;
import org.layered.layers.Compositor;
import org.layered.layers.LayerStack;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Checks and file handling shared by the exporters. */
final class ExportSupport {
    private ExportSupport() {}

    /** Rejects an empty stack or layers of different sizes. */
    static void check(LayerStack stack) {
        if (stack == null || stack.size() == 0) {
            throw new IllegalArgumentException("nothing to export: the layer stack is empty");
        }
        int w = stack.layers().get(0).width();
        int h = stack.layers().get(0).height();
        for (RgbaImage l : stack.layers()) {
            if (l.width() != w || l.height() != h) {
                throw new IllegalArgumentException("layer sizes differ: " + l.width() + "x" + l.height() + " vs "
                        + w + "x" + h);
            }
        }
        RgbaImage c = stack.composite();
        if (c != null && (c.width() != w || c.height() != h)) {
            throw new IllegalArgumentException("composite is " + c.width() + "x" + c.height() + " but the layers are "
                    + w + "x" + h);
        }
    }

    /** The stack's composite, or the over-composite of its layers when it has none. */
    static RgbaImage composite(LayerStack stack) {
        return stack.composite() != null ? stack.composite() : Compositor.over(stack.layers());
    }

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
