package org.layered.cli;

import org.layered.engine.DType;
import org.layered.store.DownloadProgress;
import org.layered.store.ModelRef;
import org.layered.store.ModelStore;
import org.layered.store.ModelVerifier;
import org.layered.store.ResolvedModel;
import org.layered.store.Sizes;
import org.layered.weights.config.ConfigException;
import org.layered.weights.config.JsonConfig;
import org.layered.weights.config.ModelIndex;
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
import java.util.Set;
import java.util.stream.Stream;

/**
 * {@code layered info --model DIR|REPO}: lists a model's components, their tensors, dtypes and sizes, validating
 * every safetensors header (offsets, sizes, truncation) and config file on the way. A repository id is resolved
 * through the model store (HF cache, plugin cache); {@code --verify true} recomputes file hashes.
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

                  --model DIR   a diffusers model folder (with model_index.json or component folders such as
                                vae/ and transformer/), one component folder, or one .safetensors file;
                                or a hub repository id such as Qwen/Qwen-Image-Layered, found in the
                                Hugging Face cache (HF_HUB_CACHE, HF_HOME/hub, ~/.cache/huggingface/hub)
                                or the plugin's cache (see 'layered fetch')
                  --verify B    true: recompute the sha256 (LFS files) or git hash of every file and compare
                                it with the name the hub gave it (HF cache blobs); default false
                  --cache DIR   another cache folder (Hugging Face hub layout) to search first

                Prints each component with its tensor table (name, dtype, shape, bytes) and totals. Every
                safetensors header is validated; a damaged or truncated file ends the command with a one-line
                error naming the file, and exit status 1. For a repository id it first reports which of the
                model's components are present; a model that is not found or incomplete, or a file that fails
                verification, ends with exit status 1.
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
            describe(model, Map.of(), out);
            if (verify) {
                verify(model, out, err);
            }
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
        describe(m.root(), skip, out);
        if (verify) {
            verify(m.root(), out, err);
        }
        m.requireComplete();
        return 0;
    }

    private static void verify(Path model, PrintStream out, PrintStream err) throws IOException {
        // hashing 58 GB takes minutes: a line on stderr every 10 s, none for small models
        long start = System.nanoTime();
        long[] last = {start};
        ModelVerifier.Report rep = ModelVerifier.verify(model, s -> {
            long now = System.nanoTime();
            if (now - last[0] >= 10_000_000_000L && s.phase() == DownloadProgress.Phase.VERIFYING) {
                last[0] = now;
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
            throw new IOException("verification failed for " + bad.size() + " file(s): " + String.join(", ", bad));
        }
    }

    private void describe(Path model, Map<String, String> skip, PrintStream out) throws IOException {
        List<Path> components = new ArrayList<>();
        if (Files.isRegularFile(model) || hasWeights(model)) {
            components.add(model);
        } else {
            ModelIndex index = ModelIndex.read(model);
            out.println("model: " + model.toAbsolutePath().normalize()
                    + (index.pipelineClass().isEmpty() ? "" : " (" + index.pipelineClass() + ")"));
            for (String name : index.components().keySet()) {
                ModelIndex.Component c = index.components().get(name);
                String cls = c.className().isEmpty() ? "" : " [" + c.library() + " " + c.className() + "]";
                if (!index.isPresent(name)) {
                    out.println("component " + name + cls + ": not present");
                    continue;
                }
                if (skip.containsKey(name)) {
                    out.println("component " + name + cls + ": " + skip.get(name) + ", not read");
                    continue;
                }
                Path dir = index.componentDir(name);
                if (hasWeights(dir)) {
                    components.add(dir);
                } else {
                    out.println("component " + name + cls + ": " + describeFiles(dir));
                }
            }
            if (components.isEmpty() && skip.isEmpty()) {
                throw new IOException(model + ": no safetensors weights found in any component folder");
            }
        }
        long grandTotal = 0;
        long grandCount = 0;
        for (Path c : components) {
            long[] t = printComponent(c, out);
            grandCount += t[0];
            grandTotal += t[1];
        }
        out.printf(Locale.ROOT, "total: %d tensors, %s in %d component(s); all files valid%n", grandCount,
                bytes(grandTotal), components.size());
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
            for (String n : names) {
                if (n.endsWith(".json")) {
                    JsonConfig.read(dir.resolve(n)); // validates the JSON
                }
            }
            return names.size() + " file(s): " + String.join(", ", names);
        }
    }

    private static long[] printComponent(Path c, PrintStream out) throws IOException {
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
            return new long[] {tensors.size(), ck.totalBytes()};
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
