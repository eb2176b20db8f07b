package org.layered.cli;

import org.layered.engine.DType;
import org.layered.pipeline.ModelCheck;
import org.layered.store.DownloadProgress;
import org.layered.store.ModelRef;
import org.layered.store.ModelStore;
import org.layered.store.ModelVerifier;
import org.layered.store.ResolvedModel;
import org.layered.store.Sizes;
import org.layered.weights.config.ConfigException;
import org.layered.weights.config.JsonConfig;
import org.layered.weights.config.ModelIndex;
import org.layered.weights.safetensors.NonFiniteScan;
import org.layered.weights.safetensors.SafetensorsFormatException;
import org.layered.weights.safetensors.ShardedCheckpoint;
import org.layered.weights.safetensors.TensorInfo;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * {@code layered info --model DIR|REPO}: lists a model's components, their tensors, dtypes and sizes, and runs the
 * checks loading runs ({@link ModelCheck}: model_index.json, configs, safetensors headers, the tensors each config
 * implies), so that a model {@code info} passes is one {@code decompose} loads. A repository id is resolved through
 * the model store (HF cache, plugin cache); {@code --verify true} recomputes file hashes and scans every weight for
 * NaN and infinity.
 */
final class InfoCommand implements CliCommand {
    private final Map<String, String> env;
    private final Path userHome;

    InfoCommand() {
        this(System.getenv(), Path.of(System.getProperty("user.home", ".")));
    }

    /** For tests: a given environment (HF_HUB_CACHE, HF_HOME, ...) and home folder. */
    InfoCommand(Map<String, String> env, Path userHome) {
        this.env = env;
        this.userHome = userHome;
    }

    @Override
    public String name() {
        return "info";
    }

    @Override
    public String summary() {
        return "list a model's components and tensors, and validate its files";
    }

    @Override
    public String usage() {
        return """
                usage: layered info --model DIR|REPO[@REV] [--verify true|false] [--cache DIR]

                  --model DIR   a diffusers model folder (with model_index.json and component folders such
                                as vae/ and transformer/), one component folder, or one .safetensors file;
                                or a hub repository id such as Qwen/Qwen-Image-Layered, found in the
                                Hugging Face cache (HF_HUB_CACHE, HF_HOME/hub, ~/.cache/huggingface/hub)
                                or the plugin's cache (see 'layered fetch')
                  --verify B    true: recompute the sha256 (LFS files) or git hash of every file and compare
                                it with the name the hub gave it (HF cache blobs), and scan every weight
                                for NaN and infinity; default false
                  --cache DIR   another cache folder (Hugging Face hub layout) to search first

                Prints each component with its tensor table (name, dtype, shape, bytes) and totals, and runs
                the checks loading runs: model_index.json, every config, every safetensors header, and the
                tensor names and shapes each config implies. --verify also reads every weight and names the
                tensors holding NaN or infinity. Any problem (a damaged, truncated or mismatched file, a
                missing component, a hash mismatch, non-finite weights) is listed and the command ends with a
                one-line error naming it, and exit status 1. For a repository id it first reports which of the
                model's components are present; a model that is not found or incomplete also ends with 1.
                """;
    }

    @Override
    public Set<String> flags() {
        return Set.of("model", "verify", "cache");
    }

    @Override
    public int run(CliArgs args, PrintStream out, PrintStream err) throws Exception {
        String ref = args.required("model");
        String v = args.string("verify", "false").strip().toLowerCase(Locale.ROOT);
        if (!v.equals("true") && !v.equals("false")) {
            throw new CliArgs.UsageException("--verify must be true or false, got '" + v + "'");
        }
        boolean verify = v.equals("true");
        ModelStore.Config cfg = new ModelStore.Config().env(env).userHome(userHome);
        if (args.has("cache")) {
            cfg.addCache(args.path("cache"));
        }
        ModelStore store = new ModelStore(cfg);
        ModelRef r;
        try {
            r = ModelRef.parse(ref);
        } catch (IllegalArgumentException e) {
            r = null;
        }
        if (r == null || r.isPath() || (r.isShortId() && store.descriptor(r.repo()).isEmpty())) {
            Path model = args.path("model");
            if (!Files.exists(model)) {
                throw new IOException(model + ": no such file or folder (give --model the model folder)");
            }
            List<String> problems = new ArrayList<>();
            List<Path> checkpoints = describe(model, Map.of(), out, problems);
            if (verify) {
                verify(model, checkpoints, out, err, problems);
            }
            fail(problems);
            return 0;
        }
        ResolvedModel m = store.resolve(ref);
        out.println("reference: " + m.summary());
        for (String note : m.notes()) {
            out.println("  " + note);
        }
        Map<String, String> skip = new LinkedHashMap<>();
        if (m.descriptor() != null) {
            out.printf(Locale.ROOT, "expected: %s, %d components, about %s in bf16, licence %s%n",
                    m.descriptor().repo(), m.descriptor().components().size(),
                    Sizes.si(m.descriptor().weightBytes()), m.descriptor().licence().spdx());
            for (ResolvedModel.ComponentStatus c : m.components()) {
                String state = c.state().name().toLowerCase(Locale.ROOT);
                out.printf(Locale.ROOT, "  %-13s %-10s %10s%s%s%n", c.name(), state, Sizes.si(c.bytesOnDisk()),
                        c.component().bytes() > 0 ? " of " + (c.component().approximate() ? "~" : "")
                                + Sizes.si(c.component().bytes()) : "",
                        c.component().required() ? "" : " (optional: " + c.component().neededFor() + ")");
                for (String missing : c.missingFiles()) {
                    out.println("      missing " + missing);
                }
                for (String w : c.warnings()) {
                    out.println("      warning: " + w);
                }
                if (c.state() != ResolvedModel.State.PRESENT) {
                    skip.put(c.name(), state);
                }
            }
        }
        List<String> problems = new ArrayList<>();
        List<Path> checkpoints = describe(m.root(), skip, out, problems);
        if (verify) {
            verify(m.root(), checkpoints, out, err, problems);
        }
        m.requireComplete();
        fail(problems);
        return 0;
    }

    /** Ends the command with the first problem when there is one (all were printed already). */
    private static void fail(List<String> problems) throws IOException {
        if (!problems.isEmpty()) {
            throw new IOException(problems.get(0) + (problems.size() == 1 ? ""
                    : " (and " + (problems.size() - 1) + " more problem(s), listed above)"));
        }
    }

    /** Hashes every file (HF cache blobs) and scans every weight for NaN and infinity; adds the problems. */
    private static void verify(Path model, List<Path> checkpoints, PrintStream out, PrintStream err,
            List<String> problems) throws IOException {
        // hashing and scanning 58 GB takes minutes: a line on stderr every 10 s, none for small models
        long[] last = {System.nanoTime()};
        ModelVerifier.Report rep = ModelVerifier.verify(model, s -> {
            if (due(last) && s.phase() == DownloadProgress.Phase.VERIFYING) {
                err.println("verifying: " + s.format());
            }
        }, null);
        for (ModelVerifier.FileCheck f : rep.files()) {
            String detail = switch (f.status()) {
                case OK -> "";
                case MISMATCH -> " expected " + f.expected() + ", got " + f.actual();
                case MISSING -> " (unreadable or dangling link)";
                case UNVERIFIABLE -> " (no reference hash: not an HF-cache blob)";
            };
            out.printf(Locale.ROOT, "verify: %-12s %-8s %s (%s)%s%n", f.status().name(), f.algorithm(), f.path(),
                    bytes(f.size()), detail);
        }
        out.println("verify: " + rep.summary());
        if (!rep.passed()) {
            List<String> bad = rep.files().stream().filter(f -> f.status() == ModelVerifier.Status.MISMATCH
                    || f.status() == ModelVerifier.Status.MISSING).map(ModelVerifier.FileCheck::path).toList();
            problems.add("verification failed for " + bad.size() + " file(s): " + String.join(", ", bad));
        }

        long total = 0;
        int tensors = 0;
        List<NonFiniteScan.Finding> findings = new ArrayList<>();
        for (Path c : checkpoints) {
            try (ShardedCheckpoint ck = ShardedCheckpoint.open(c)) {
                long size = ck.totalBytes();
                long[] done = {0};
                findings.addAll(NonFiniteScan.scan(ck, n -> {
                    done[0] += n;
                    if (due(last)) {
                        err.printf(Locale.ROOT, "scanning %s for NaN and infinity: %s of %s%n", c.getFileName(),
                                bytes(done[0]), bytes(size));
                    }
                }));
                total += size;
                tensors += ck.tensors().size();
            }
        }
        for (NonFiniteScan.Finding f : findings) {
            out.println("non-finite: " + f);
        }
        out.printf(Locale.ROOT, "non-finite: %d of %d tensors (%s) hold NaN or infinity%n", findings.size(),
                tensors, bytes(total));
        if (!findings.isEmpty()) {
            NonFiniteScan.Finding f = findings.get(0);
            problems.add(findings.size() + " tensor(s) hold NaN or infinity, e.g. '" + f.tensor() + "' in "
                    + f.file() + ": the weights are damaged; re-download the file(s)");
        }
    }

    /** Whether 10 s passed since {@code last[0]}, which is then reset. */
    private static boolean due(long[] last) {
        long now = System.nanoTime();
        if (now - last[0] < 10_000_000_000L) {
            return false;
        }
        last[0] = now;
        return true;
    }

    /**
     * Prints the components and their tensor tables, running the checks loading runs; adds the problems found and
     * returns the weight checkpoints whose headers are valid (for {@code --verify}).
     */
    private static List<Path> describe(Path model, Map<String, String> skip, PrintStream out, List<String> problems)
            throws IOException {
        List<Path> checkpoints = new ArrayList<>();
        long[] totals = new long[2]; // tensors, bytes
        int described = 0;
        if (Files.isRegularFile(model) || hasWeights(model)) {
            described++;
            printComponent(model, out, checkpoints, totals, problems);
            Optional<String> kind = Files.isDirectory(model) ? componentOf(model) : Optional.empty();
            if (kind.isPresent()) {
                report(ModelCheck.checkFolder(kind.get(), model), out, problems);
            }
        } else {
            ModelCheck check = ModelCheck.of(model);
            ModelIndex index = check.index();
            out.println("model: " + model.toAbsolutePath().normalize() + " (" + index.pipelineClass() + ")");
            for (ModelCheck.Component c : check.components()) {
                String cls = index.component(c.name()).map(k -> " [" + k.library() + " " + k.className() + "]")
                        .orElse("");
                if (skip.containsKey(c.name())) {
                    out.println("component " + c.name() + cls + ": " + skip.get(c.name()) + ", not read");
                    continue;
                }
                if (c.state() == ModelCheck.State.ABSENT) {
                    out.println("component " + c.name() + cls + ": " + (c.note() != null ? c.note() : "missing"));
                    if (c.problem() != null) {
                        problems.add(c.problem());
                    }
                    continue;
                }
                described++;
                if (hasWeights(c.dir())) {
                    printComponent(c.dir(), out, checkpoints, totals, problems);
                } else {
                    out.println("component " + c.name() + cls + ": " + describeFiles(c.dir()));
                }
                report(c, out, problems);
            }
            for (String other : index.components().keySet()) {
                if (check.component(other) == null) {
                    out.println("component " + other + ": not used by this pipeline, not read");
                }
            }
        }
        out.printf(Locale.ROOT, "total: %d tensors, %s in %d component(s); %s%n", totals[0], bytes(totals[1]),
                described, problems.isEmpty() ? "all files valid" : problems.size() + " problem(s)");
        return checkpoints;
    }

    /** Prints a checked component's problem or note and records the problem. */
    private static void report(ModelCheck.Component c, PrintStream out, List<String> problems) {
        if (c.problem() != null) {
            out.println("  problem: " + c.problem());
            if (!problems.contains(c.problem())) {
                problems.add(c.problem());
            }
        } else if (c.note() != null) {
            out.println("  note: " + c.note());
        }
    }

    /** The component a folder's config belongs to ({@code _class_name}, or the first of {@code architectures}). */
    private static Optional<String> componentOf(Path dir) {
        try {
            if (Files.isRegularFile(dir.resolve("scheduler_config.json"))) {
                return Optional.of("scheduler");
            }
            if (!Files.isRegularFile(dir.resolve("config.json"))) {
                return Optional.empty();
            }
            JsonConfig cfg = JsonConfig.read(dir.resolve("config.json"));
            String cls = cfg.string("_class_name", "");
            if (cls.isEmpty() && cfg.json().has("architectures") && cfg.json().get("architectures").isJsonArray()
                    && !cfg.json().getAsJsonArray("architectures").isEmpty()) {
                cls = cfg.json().getAsJsonArray("architectures").get(0).getAsString();
            }
            return ModelCheck.componentFor(cls);
        } catch (IOException | RuntimeException e) {
            return Optional.empty(); // printComponent reports an unreadable config
        }
    }

    private static boolean hasWeights(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.anyMatch(p -> p.getFileName().toString().endsWith(".safetensors")
                    || p.getFileName().toString().endsWith(".safetensors.index.json"));
        }
    }

    private static String describeFiles(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            List<String> names = s.map(p -> p.getFileName().toString()).sorted().toList();
            return names.size() + " file(s): " + String.join(", ", names);
        }
    }

    /** Prints one component's tensor table; a header or config that does not read is recorded as a problem. */
    private static void printComponent(Path c, PrintStream out, List<Path> checkpoints, long[] totals,
            List<String> problems) throws IOException {
        try (ShardedCheckpoint ck = ShardedCheckpoint.open(c)) {
            String config = "";
            Path dir = Files.isDirectory(c) ? c : c.getParent();
            if (dir != null && Files.isRegularFile(dir.resolve("config.json"))) {
                JsonConfig cfg = readConfig(dir.resolve("config.json"));
                config = ", config " + cfg.string("_class_name", cfg.string("model_type", "config.json"));
            }
            Map<DType, Long> byType = new EnumMap<>(DType.class);
            List<TensorInfo> tensors = ck.tensors();
            int width = 4;
            for (TensorInfo t : tensors) {
                width = Math.max(width, t.name().length());
                byType.merge(t.dtype(), t.byteSize(), Long::sum);
            }
            out.printf(Locale.ROOT, "component %s: %d file(s), %d tensors, %s%s%n", c.getFileName(),
                    ck.files().size(), tensors.size(), bytes(ck.totalBytes()), config);
            out.println("  dtypes: " + byType.entrySet().stream().map(e -> e.getKey() + " " + bytes(e.getValue()))
                    .reduce((a, b) -> a + ", " + b).orElse("none"));
            String fmt = "  %-" + width + "s  %-5s  %-22s %14s%n";
            out.printf(Locale.ROOT, fmt, "NAME", "DTYPE", "SHAPE", "BYTES");
            for (TensorInfo t : tensors) {
                out.printf(Locale.ROOT, fmt, t.name(), t.dtype(), Arrays.toString(t.shape()), t.byteSize());
            }
            totals[0] += tensors.size();
            totals[1] += ck.totalBytes();
            checkpoints.add(c);
        } catch (SafetensorsFormatException | ConfigException e) {
            String m = LayeredMain.oneLine(e);
            out.println("component " + c.getFileName() + ": " + m);
            if (!problems.contains(m)) {
                problems.add(m);
            }
        }
    }

    private static JsonConfig readConfig(Path file) throws ConfigException {
        return JsonConfig.read(file);
    }

    static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
