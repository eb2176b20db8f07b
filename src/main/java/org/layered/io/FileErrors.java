package org.layered.io;

import java.io.EOFException;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The cause of a failed file operation in the few words a user can act on: "permission denied", "disk full",
 * "read-only file system", ... The JDK reports these as exception types or as the operating system's reason
 * text, often wrapped (ImageIO's "I/O error writing PNG file!" hides "No space left on device" in its cause), so
 * the whole cause chain is searched.
 */
public final class FileErrors {
    private FileErrors() {}

    /** The cause of {@code e} in a few words, or its innermost message when it is none of the known ones. */
    public static String cause(Throwable e) {
        String fallback = null;
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String known = known(t);
            if (known != null) {
                return known;
            }
            String m = t instanceof FileSystemException f ? f.getReason() : t.getMessage();
            if (m != null && !m.isBlank()) {
                fallback = m.replaceAll("\\s+", " ").strip();
            }
        }
        return fallback != null ? fallback : e.getClass().getSimpleName();
    }

    /** {@code "cannot <action> <path>: <cause>"} as an IOException that keeps {@code e} as its cause. */
    public static IOException describe(String action, Path path, IOException e) {
        return new IOException("cannot " + action + " " + path + ": " + cause(e), e);
    }

    /** Whether {@code e} (or a cause) says that the disk or the user's quota is full. */
    public static boolean isDiskFull(Throwable e) {
        String c = cause(e);
        return c.equals("disk full") || c.equals("disk quota exceeded");
    }

    private static String known(Throwable t) {
        if (t instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (t instanceof NoSuchFileException) {
            return "no such file or folder";
        }
        if (t instanceof FileAlreadyExistsException) {
            return "a file of that name already exists";
        }
        if (t instanceof NotDirectoryException) {
            return "a part of the path is a file, not a folder";
        }
        if (t instanceof DirectoryNotEmptyException) {
            return "the folder is not empty";
        }
        if (t instanceof EOFException) {
            return "the file ends early (truncated?)";
        }
        String m = t instanceof FileSystemException f ? f.getReason() : t.getMessage();
        if (m == null) {
            return null;
        }
        String l = m.toLowerCase(Locale.ROOT);
        if (l.contains("no space left on device") || l.contains("not enough space")) {
            return "disk full";
        }
        if (l.contains("disk quota exceeded")) {
            return "disk quota exceeded";
        }
        if (l.contains("read-only file system")) {
            return "read-only file system";
        }
        if (l.contains("permission denied") || l.contains("operation not permitted") || l.contains("access is denied")) {
            return "permission denied";
        }
        if (l.contains("is a directory")) {
            return "it is a folder, not a file";
        }
        if (l.contains("not a directory")) {
            return "a part of the path is a file, not a folder";
        }
        if (l.contains("file name too long")) {
            return "the file name is too long";
        }
        return null;
    }
}
