package org.layered.cli;

import org.layered.engine.DType;
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
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * {@code layered info --model DIR}: lists a model's components, their tensors, dtypes and sizes, validating every
 * safetensors header (offsets, sizes, truncation) and config file on the way.
 */
final class InfoCommand implements CliCommand {
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
                usage: layered info --model DIR

                  --model DIR   a diffusers model folder (with model_index.json or component folders such as
                                vae/ and transformer/), one component folder, or one .safetensors file

                Prints each component with its tensor table (name, dtype, shape, bytes) and totals. Every
                safetensors header is validated; a damaged or truncated file ends the command with a one-line
                error naming the file, and exit status 1.
                """;
    }

    @Override
    public Set<String> flags() {
        return Set.of("model");
    }

    @Override
    public int run(CliArgs args, PrintStream out, PrintStream err) throws Exception {
        Path model = args.path("model");
        if (!Files.exists(model)) {
            throw new IOException(model + ": no such file or folder (give --model the model folder)");
        }
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
                Path dir = index.componentDir(name);
                if (hasWeights(dir)) {
                    components.add(dir);
                } else {
                    out.println("component " + name + cls + ": " + describeFiles(dir));
                }
            }
            if (components.isEmpty()) {
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
        return 0;
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
