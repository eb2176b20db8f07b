package org.layered.fiji;

import org.layered.engine.Cancellation;
import org.layered.export.OutputFolder;
import org.layered.pipeline.ProgressListener;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Decomposes every image of a folder into an output folder, one sub-folder per image plane
 * ({@code <output>/<name>/} or {@code <output>/<name>-z3/} for plane 3 of a stack). Files are read by
 * {@link BatchInput}, never through a dialog; a file or plane that fails is logged, listed with the reason in
 * {@code failed.tsv}, and the batch goes on; {@code summary.tsv} says what became of every file
 * ({@link BatchReport}). Resumable: a plane whose folder already holds a
 * {@code manifest.json} (written last) is skipped, and a half-written staging folder of an interrupted run is
 * discarded and redone. {@code shard=i/n} takes only the files whose index in the sorted list
 * is i modulo n, so n jobs of a cluster job array can share a folder without overlap. The model stays loaded
 * for the whole folder.
 */
public final class BatchDecompose {
    /** File name extensions opened ({@link BatchInput}). */
    public static final Set<String> EXTENSIONS = Set.of("tif", "tiff", "png", "jpg", "jpeg", "gif", "bmp", "pgm",
            "ppm", "pbm", "zip");

    /** Which part of the folder this run takes: files with {@code index % count == index()}. */
    public record Shard(int index, int count) {
        public static final Shard ALL = new Shard(0, 1);

        public Shard {
            if (count < 1 || index < 0 || index >= count) {
                throw new IllegalArgumentException("shard must be i/n with 0 <= i < n, got " + index + "/" + count);
            }
        }

        /** Parses {@code i/n} (0-based i; blank = everything). */
        public static Shard parse(String text) {
            String t = text == null ? "" : text.strip();
            if (t.isEmpty()) {
                return ALL;
            }
            int slash = t.indexOf('/');
            try {
                if (slash <= 0) {
                    throw new NumberFormatException();
                }
                return new Shard(Integer.parseInt(t.substring(0, slash).strip()),
                        Integer.parseInt(t.substring(slash + 1).strip()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("shard must be i/n (e.g. 0/4 for the first of 4 jobs; i counts "
                        + "from 0), got '" + t + "'");
            }
        }

        public boolean includes(int fileIndex) {
            return fileIndex % count == index;
        }

        /** The name of a table of this shard's run: {@code stem.tsv}, or {@code stem-i-of-n.tsv} for a shard. */
        public String tableName(String stem) {
            return count == 1 ? stem + ".tsv" : stem + "-" + index + "-of-" + count + ".tsv";
        }

        @Override
        public String toString() {
            return index + "/" + count;
        }
    }

    /** What a batch did. */
    public record Summary(int files, int filesInShard, int decomposed, int skipped, int failed, boolean cancelled) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%d of %d image file(s) in this shard: %d plane(s) decomposed, %d "
                    + "skipped (already done), %d failed%s", filesInShard, files, decomposed, skipped, failed,
                    cancelled ? "; cancelled" : "");
        }
    }

    private final DecomposeOptions options;
    private final Path folder;
    private final Path output;
    private final Shard shard;
    private final Decomposer decomposer;
    private final Consumer<String> log;

    /**
     * @param options the decomposition options; {@code output} must name the output folder
     * @throws DecomposeException for a missing folder, a missing output or bad options
     */
    public BatchDecompose(DecomposeOptions options, Path folder, Shard shard, Decomposer decomposer,
            Consumer<String> log) throws DecomposeException {
        if (folder == null || !Files.isDirectory(folder)) {
            throw new DecomposeException("folder of images not found: " + folder);
        }
        if (options.output().isEmpty()) {
            throw new DecomposeException("no output folder: set output=/path/to/folder");
        }
        this.options = options.withDisplay(false, false);
        this.folder = folder;
        this.output = Path.of(options.output());
        if (this.output.toAbsolutePath().normalize().equals(folder.toAbsolutePath().normalize())) {
            throw new DecomposeException("the output folder must not be the folder of images: " + folder);
        }
        this.shard = shard;
        this.decomposer = decomposer;
        this.log = log;
        new DecomposeJob(this.options, decomposer, log).checkedSettings(null);
    }

    /** The image files of {@code folder}, sorted by name (hidden files skipped). */
    public static List<Path> imageFiles(Path folder) throws IOException {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(folder)) {
            for (Path p : s) {
                String name = p.getFileName().toString();
                int dot = name.lastIndexOf('.');
                if (!name.startsWith(".") && dot > 0 && Files.isRegularFile(p)
                        && EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT))) {
                    out.add(p);
                }
            }
        }
        out.sort((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()));
        return out;
    }

    /** Output names per file: the name without extension, or {@code name_ext} where two files would clash. */
    static Map<Path, String> baseNames(List<Path> files) {
        Map<String, Integer> count = new HashMap<>();
        for (Path f : files) {
            count.merge(ImageConversion.baseName(f.getFileName().toString()).toLowerCase(Locale.ROOT), 1,
                    Integer::sum);
        }
        Map<Path, String> out = new HashMap<>();
        for (Path f : files) {
            String file = f.getFileName().toString();
            String base = ImageConversion.baseName(file);
            out.put(f, count.get(base.toLowerCase(Locale.ROOT)) > 1 ? ImageConversion.baseName(file.replace('.', '_'))
                    : base);
        }
        return out;
    }

    /** Runs the batch; errors of single images are logged and counted, not thrown. */
    public Summary run(ProgressListener progress, Cancellation cancel) throws DecomposeException {
        List<Path> files;
        try {
            files = imageFiles(folder);
            Files.createDirectories(output);
        } catch (IOException e) {
            throw new DecomposeException("cannot read " + folder + " or create " + output + ": " + e.getMessage(), e);
        }
        Map<Path, String> names = baseNames(files);
        List<Path> mine = new ArrayList<>();
        for (int i = 0; i < files.size(); i++) {
            if (shard.includes(i)) {
                mine.add(files.get(i));
            }
        }
        log.accept("Layered batch: " + folder + " -> " + output + ": " + mine.size() + " of " + files.size()
                + " image file(s) in shard " + shard);
        DecomposeJob job = new DecomposeJob(options, decomposer, log);
        BatchReport report = new BatchReport(output, shard, log);
        report.start(mine.stream().map(f -> f.getFileName().toString()).toList());
        int done = 0;
        int skipped = 0;
        int failed = 0;
        for (int k = 0; k < mine.size(); k++) {
            if (cancel.isCancelled()) {
                return finish(new Summary(files.size(), mine.size(), done, skipped, failed, true), report);
            }
            Path file = mine.get(k);
            String fileName = file.getFileName().toString();
            String base = names.get(file);
            String label = "image " + (k + 1) + "/" + mine.size() + " " + fileName;
            if (OutputFolder.isComplete(output.resolve(base))) {
                OutputFolder.clearLeftovers(output.resolve(base));
                log.accept("Layered batch: " + label + ": already done, skipped");
                report.set(fileName, base, BatchReport.Status.SKIPPED, "");
                skipped++;
                continue;
            }
            BatchInput input;
            try {
                input = BatchInput.open(file, base);
            } catch (DecomposeException e) {
                record(report, label, fileName, "", e.getMessage());
                failed++;
                continue;
            }
            try (input) {
                List<String> units = new ArrayList<>();
                for (int i = 0; i < input.size(); i++) {
                    units.add(input.unitName(i));
                }
                report.planes(fileName, units);
                for (int i = 0; i < input.size(); i++) {
                    String unit = units.get(i);
                    if (OutputFolder.isComplete(output.resolve(unit))) {
                        OutputFolder.clearLeftovers(output.resolve(unit));
                        log.accept("Layered batch: " + label + " " + unit + ": already done, skipped");
                        report.set(fileName, unit, BatchReport.Status.SKIPPED, "");
                        skipped++;
                        continue;
                    }
                    progress.stage(label + (input.size() > 1 ? " plane " + unit : ""));
                    try {
                        DecomposeJob.Outcome o = job.run(input.plane(i), null, output.resolve(unit), progress,
                                cancel);
                        if (o.saveError() != null) {
                            throw new DecomposeException(o.saveError());
                        }
                        log.accept(ResultDisplay.summary(o));
                        report.set(fileName, unit, BatchReport.Status.DECOMPOSED, "");
                        done++;
                    } catch (DecomposeException e) {
                        record(report, label, fileName, unit, e.getMessage());
                        failed++;
                    } catch (Cancellation.CancelledException e) {
                        log.accept("Layered batch: cancelled during " + unit + "; it will be redone on resume");
                        return finish(new Summary(files.size(), mine.size(), done, skipped, failed, true), report);
                    }
                }
            } catch (DecomposeException e) {
                record(report, label, fileName, "", e.getMessage());
                failed++;
            }
        }
        return finish(new Summary(files.size(), mine.size(), done, skipped, failed, false), report);
    }

    /** A failed file ({@code unit} empty) or plane: a Log line and a row of the failure table. */
    private void record(BatchReport report, String label, String file, String unit, String reason) {
        log.accept("Layered batch: " + label + (unit.isEmpty() ? "" : " " + unit) + ": error: " + reason);
        report.set(file, unit, BatchReport.Status.FAILED, reason);
    }

    private Summary finish(Summary s, BatchReport report) {
        report.flush();
        if (s.failed() > 0) {
            log.accept("Layered batch: the failed files and why are listed in " + report.failures());
        }
        return s;
    }
}
