package org.layered.fiji;

import org.layered.io.FileErrors;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * What a batch run did with each file of its shard, as two tab-separated tables in the output folder, rewritten
 * (atomically) at every change, so that a job killed half-way leaves them as they were at that moment:
 * <ul>
 *   <li>{@code summary.tsv}: every image file of the shard, {@code file}, {@code plane} (the result folder; empty
 *       until the file is opened), {@code status} and {@code reason}; the status is {@code pending} (not reached),
 *       {@code decomposed}, {@code skipped} (done by an earlier run) or {@code failed};</li>
 *   <li>{@code failed.tsv}: the failures alone, {@code file}, {@code plane} (empty for the whole file) and
 *       {@code reason}; there only when something failed.</li>
 * </ul>
 * Shard i/n writes {@code summary-i-of-n.tsv} and {@code failed-i-of-n.tsv}, so that the tasks of a job array never
 * share a file ({@code cluster/merge-reports.sh} merges them). Both tables describe the last run: starting lists the
 * shard's files as pending and removes an earlier failure table. Tabs and line breaks in a field become spaces.
 */
final class BatchReport {
    /** What became of a file or plane. */
    enum Status {
        PENDING, DECOMPOSED, SKIPPED, FAILED;

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private record Row(String file, String plane, Status status, String reason) {}

    private final Path summary;
    private final Path failures;
    private final Consumer<String> log;
    private final List<Row> rows = new ArrayList<>();
    private boolean warned;

    BatchReport(Path output, BatchDecompose.Shard shard, Consumer<String> log) {
        this.summary = output.resolve(shard.tableName("summary"));
        this.failures = output.resolve(shard.tableName("failed"));
        this.log = log;
    }

    Path failures() {
        return failures;
    }

    /** Lists {@code files} (names in the input folder) as pending and removes the last run's failure table. */
    void start(List<String> files) {
        rows.clear();
        for (String f : files) {
            rows.add(new Row(clean(f), "", Status.PENDING, ""));
        }
        try {
            Files.deleteIfExists(failures);
        } catch (IOException e) {
            warn("cannot remove the old " + failures + ": " + FileErrors.cause(e));
        }
        write();
    }

    /** The planes of an opened file, each pending, in place of the file's own row. */
    void planes(String file, List<String> planes) {
        int at = indexOf(file, "");
        if (at < 0) {
            return;
        }
        rows.remove(at);
        for (String p : planes) {
            rows.add(at++, new Row(clean(file), clean(p), Status.PENDING, ""));
        }
        write();
    }

    /**
     * Records the outcome of a plane, or of the whole file ({@code plane} empty: a file that cannot be opened);
     * a plane not listed yet takes the place of the file's own row.
     */
    void set(String file, String plane, Status status, String reason) {
        Row row = new Row(clean(file), clean(plane), status, clean(reason));
        int at = indexOf(file, plane);
        if (at < 0) {
            at = indexOf(file, "");
        }
        if (at < 0) {
            rows.add(row);
        } else {
            rows.set(at, row);
        }
        write();
    }

    private int indexOf(String file, String plane) {
        for (int i = 0; i < rows.size(); i++) {
            if (rows.get(i).file().equals(clean(file)) && rows.get(i).plane().equals(clean(plane))) {
                return i;
            }
        }
        return -1;
    }

    private void write() {
        StringBuilder all = new StringBuilder("file\tplane\tstatus\treason\n");
        StringBuilder failed = new StringBuilder("file\tplane\treason\n");
        boolean anyFailed = false;
        for (Row r : rows) {
            all.append(r.file()).append('\t').append(r.plane()).append('\t').append(r.status().label()).append('\t')
                    .append(r.reason()).append('\n');
            if (r.status() == Status.FAILED) {
                failed.append(r.file()).append('\t').append(r.plane()).append('\t').append(r.reason()).append('\n');
                anyFailed = true;
            }
        }
        replace(summary, all.toString());
        if (anyFailed) {
            replace(failures, failed.toString());
        }
    }

    /** Writes a sibling temporary file and moves it over {@code file}: readers never see half a table. */
    private void replace(Path file, String text) {
        Path tmp = null;
        try {
            tmp = Files.createTempFile(file.getParent(), "." + file.getFileName() + ".", ".tmp");
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            try {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            warn("cannot write " + file + ": " + FileErrors.cause(e));
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the warning above says what matters
                }
            }
        }
    }

    /** One Log line per run: a full disk would otherwise repeat it for every file. */
    private void warn(String message) {
        if (!warned) {
            log.accept("Layered batch: " + message);
            warned = true;
        }
    }

    private static String clean(String s) {
        return s == null ? "" : s.replaceAll("[\\t\\r\\n]+", " ").strip();
    }
}
