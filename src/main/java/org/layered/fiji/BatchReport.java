package org.layered.fiji;

import org.layered.io.FileErrors;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * What a batch run did with each file of its shard, as two tab-separated tables in the output folder, rewritten
 * (atomically) as the run goes, at most once a second and at its end, so that a job killed half-way leaves them
 * nearly as they were at that moment:
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

    private record Row(String plane, Status status, String reason) {}

    /** Rewriting the tables costs their whole size: a resumed batch of many files skips faster than that. */
    private static final long WRITE_INTERVAL_NANOS = 1_000_000_000L;

    private final Path summary;
    private final Path failures;
    private final Consumer<String> log;
    /** The rows of each file, in the order of the run. */
    private final Map<String, List<Row>> rows = new LinkedHashMap<>();
    private long written;
    private boolean dirty;
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
            rows.put(f, new ArrayList<>(List.of(new Row("", Status.PENDING, ""))));
        }
        try {
            Files.deleteIfExists(failures);
        } catch (IOException e) {
            warn("cannot remove the old " + failures + ": " + FileErrors.cause(e));
        }
        dirty = true;
        flush();
    }

    /** The planes of an opened file, each pending, in place of the file's own row. */
    void planes(String file, List<String> planes) {
        List<Row> list = rows.computeIfAbsent(file, f -> new ArrayList<>());
        list.clear();
        for (String p : planes) {
            list.add(new Row(p, Status.PENDING, ""));
        }
        changed();
    }

    /**
     * Records the outcome of a plane, or of the whole file ({@code plane} empty: a file that cannot be opened);
     * a plane not listed yet takes the place of the file's own row.
     */
    void set(String file, String plane, Status status, String reason) {
        List<Row> list = rows.computeIfAbsent(file, f -> new ArrayList<>());
        Row row = new Row(plane, status, reason);
        int at = indexOf(list, plane);
        if (at < 0) {
            at = indexOf(list, "");
        }
        if (at < 0) {
            list.add(row);
        } else {
            list.set(at, row);
        }
        changed();
    }

    /** Writes the tables if anything changed since they were last written. */
    void flush() {
        if (dirty) {
            write();
            dirty = false;
            written = System.nanoTime();
        }
    }

    private void changed() {
        dirty = true;
        if (System.nanoTime() - written >= WRITE_INTERVAL_NANOS) {
            flush();
        }
    }

    private static int indexOf(List<Row> list, String plane) {
        for (int i = 0; i < list.size(); i++) {
            if (list.get(i).plane().equals(plane)) {
                return i;
            }
        }
        return -1;
    }

    private void write() {
        StringBuilder all = new StringBuilder("file\tplane\tstatus\treason\n");
        StringBuilder failed = new StringBuilder("file\tplane\treason\n");
        boolean anyFailed = false;
        for (Map.Entry<String, List<Row>> e : rows.entrySet()) {
            String file = clean(e.getKey());
            for (Row r : e.getValue()) {
                all.append(file).append('\t').append(clean(r.plane())).append('\t').append(r.status().label())
                        .append('\t').append(clean(r.reason())).append('\n');
                if (r.status() == Status.FAILED) {
                    failed.append(file).append('\t').append(clean(r.plane())).append('\t').append(clean(r.reason()))
                            .append('\n');
                    anyFailed = true;
                }
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
