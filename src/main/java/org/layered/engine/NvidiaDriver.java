package org.layered.engine;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The NVIDIA driver as the operating system shows it, read without libtorch or CUDA: the version from
 * {@code /proc/driver/nvidia/version} and the GPU models from {@code /proc/driver/nvidia/gpus/<bus>/information}
 * (Linux), else from {@code nvidia-smi} when it is on the path (Windows, containers without /proc entries). Nothing
 * here loads native code, so it is safe on any machine.
 *
 * @param version the driver version, or null when no NVIDIA driver was found
 * @param gpus    the GPU models the driver lists, in its order (PCI bus order; CUDA may number them differently)
 * @param source  where the facts came from, or why none were found
 */
public record NvidiaDriver(DriverVersion version, List<String> gpus, String source) {
    /** {@code NVRM version: NVIDIA UNIX [Open ]Kernel Module [for x86_64]  570.124.06  ...}. */
    private static final Pattern NVRM = Pattern.compile(
            "Kernel Module(?:\\s+for\\s+\\S+)?\\s+(\\d+(?:\\.\\d+){1,2})\\b");
    private static final Pattern MODEL = Pattern.compile("(?m)^Model:\\s*(.+?)\\s*$");
    static final String[] SMI_QUERY = {"nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"};

    public NvidiaDriver {
        gpus = List.copyOf(gpus);
    }

    /** Whether a driver was found. */
    public boolean present() {
        return version != null;
    }

    /** This machine's driver. */
    public static NvidiaDriver probe() {
        return read(Path.of("/proc/driver/nvidia"), NvidiaDriver::run);
    }

    /**
     * Reads the driver facts from a {@code /proc/driver/nvidia}-like folder, falling back to {@code nvidia-smi}.
     *
     * @param proc   the folder holding {@code version} and {@code gpus/}
     * @param runner runs a command and returns its standard output, or null when it cannot be run
     */
    public static NvidiaDriver read(Path proc, Function<String[], String> runner) {
        Path versionFile = proc.resolve("version");
        if (Files.isRegularFile(versionFile)) {
            try {
                Matcher m = NVRM.matcher(Files.readString(versionFile, StandardCharsets.UTF_8));
                if (m.find()) {
                    return new NvidiaDriver(DriverVersion.parse(m.group(1)), procGpus(proc.resolve("gpus")),
                            versionFile.toString());
                }
            } catch (IOException | IllegalArgumentException e) {
                // unreadable: try nvidia-smi
            }
        }
        String smi = runner.apply(SMI_QUERY);
        if (smi != null) {
            NvidiaDriver d = parseSmi(smi);
            if (d != null) {
                return d;
            }
        }
        return new NvidiaDriver(null, List.of(), "no NVIDIA driver found (" + versionFile + " is absent and "
                + "nvidia-smi gave nothing)");
    }

    private static List<String> procGpus(Path gpus) {
        List<String> out = new ArrayList<>();
        if (!Files.isDirectory(gpus)) {
            return out;
        }
        try (Stream<Path> dirs = Files.list(gpus)) {
            for (Path d : dirs.sorted().toList()) {
                Path info = d.resolve("information");
                if (Files.isRegularFile(info)) {
                    Matcher m = MODEL.matcher(Files.readString(info, StandardCharsets.UTF_8));
                    out.add(m.find() ? m.group(1) : "unknown NVIDIA GPU at " + d.getFileName());
                }
            }
        } catch (IOException e) {
            // the version alone is still worth reporting
        }
        return out;
    }

    /** {@code name, driver_version} lines of {@code nvidia-smi --query-gpu=... --format=csv,noheader}. */
    static NvidiaDriver parseSmi(String output) {
        DriverVersion v = null;
        List<String> names = new ArrayList<>();
        for (String line : output.strip().split("\\R")) {
            int comma = line.lastIndexOf(',');
            if (comma <= 0) {
                continue;
            }
            try {
                v = DriverVersion.parse(line.substring(comma + 1));
                names.add(line.substring(0, comma).strip());
            } catch (IllegalArgumentException e) {
                // not a data line
            }
        }
        return v == null ? null : new NvidiaDriver(v, names, "nvidia-smi");
    }

    /** Runs a short command with a timeout; its standard output, or null when it fails or is not installed. */
    static String run(String[] command) {
        try {
            Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            try (InputStream in = p.getInputStream()) {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    return null;
                }
                return p.exitValue() == 0 ? new String(in.readAllBytes(), StandardCharsets.UTF_8) : null;
            }
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** One line, e.g. {@code NVIDIA driver 570.124.06 (2 GPUs: NVIDIA H100 80GB HBM3, ...)}. */
    public String describe() {
        if (!present()) {
            return source;
        }
        return "NVIDIA driver " + version + (gpus.isEmpty() ? "" : " (" + gpus.size() + " GPU" + (gpus.size() == 1
                ? "" : "s") + ": " + String.join(", ", gpus) + ")") + ", from " + source;
    }
}
