package org.layered.fiji;

import org.layered.io.FileErrors;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.Consumer;

/**
 * The files a batch run could not decompose, with the reasons, as a tab-separated table in the output folder
 * ({@code failed.tsv}; {@code failed-<i>-of-<n>.tsv} for shard i/n, so that the jobs of an array do not write one
 * file): columns {@code file}, {@code plane} (empty for the whole file) and {@code reason}. It describes the last run:
 * the table of an earlier run is removed when a run starts, and each failure is appended at once, so a killed job
 * still leaves its list.
 */
final class FailedList {
    private final Path file;
    private final Consumer<String> log;
    private boolean started;

    FailedList(Path output, BatchDecompose.Shard shard, Consumer<String> log) {
        this.file = output.resolve(shard.count() == 1 ? "failed.tsv"
                : "failed-" + shard.index() + "-of-" + shard.count() + ".tsv");
        this.log = log;
    }

    Path file() {
        return file;
    }

    /** Removes the table of an earlier run. */
    void reset() {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            log.accept("Layered batch: cannot remove the old " + file + ": " + FileErrors.cause(e));
        }
    }

    /** Appends one failure (tabs and line breaks in the fields become spaces). */
    void add(String imageFile, String plane, String reason) {
        String line = clean(imageFile) + "\t" + clean(plane) + "\t" + clean(reason) + "\n";
        try {
            if (!started) {
                Files.writeString(file, "file\tplane\treason\n", StandardCharsets.UTF_8);
                started = true;
            }
            Files.writeString(file, line, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        } catch (IOException e) {
            log.accept("Layered batch: cannot record the failure in " + file + ": " + FileErrors.cause(e));
        }
    }

    private static String clean(String s) {
        return s == null ? "" : s.replaceAll("[\\t\\r\\n]+", " ").strip();
    }
}
