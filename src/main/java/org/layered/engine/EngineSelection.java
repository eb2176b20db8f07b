package org.layered.engine;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * Which libtorch DJL is to load, and why: decided once, before DJL first loads (a libtorch cannot be swapped in a
 * running JVM). DJL 0.36 reads {@code PYTORCH_LIBRARY_PATH}, {@code PYTORCH_VERSION} and {@code PYTORCH_FLAVOR}
 * from the environment first and from system properties second ({@code Utils.getEnvOrSystemProperty}), so:
 * <ol>
 *   <li>{@code PYTORCH_LIBRARY_PATH} in the environment or as a system property wins: the user chose by hand;</li>
 *   <li>else the engine remembered in {@link EngineSettings}, if it is still usable, is applied as system
 *       properties ({@link #apply()});</li>
 *   <li>else the CPU libtorch bundled in the {@code pytorch-native-cpu} jar.</li>
 * </ol>
 *
 * @param source  which of these
 * @param dir     the libtorch folder; null for the bundled one (DJL extracts it into its cache)
 * @param version libtorch version, null when unknown
 * @param flavor  {@code cpu}, {@code cuNNN}, or null when unknown
 * @param why     the reason, for {@code engine info} and Set Up GPU...
 * @param warning something the user should know (a remembered engine that could not be used, an environment
 *                variable overriding it), or null
 */
public record EngineSelection(Source source, Path dir, String version, String flavor, String why, String warning) {
    static final String LIBRARY_PATH = "PYTORCH_LIBRARY_PATH";
    static final String VERSION = "PYTORCH_VERSION";
    static final String FLAVOR = "PYTORCH_FLAVOR";

    /** Where the choice came from. */
    public enum Source { ENVIRONMENT, SYSTEM_PROPERTY, REMEMBERED, BUNDLED }

    /** The selection for this process now (settings as they are on disk). */
    public static EngineSelection current() {
        return decide(System.getenv(), System::getProperty, EngineSettings.current());
    }

    static EngineSelection decide(Map<String, String> env, UnaryOperator<String> properties, EngineSettings settings) {
        String envPath = env.get(LIBRARY_PATH);
        String propPath = properties.apply(LIBRARY_PATH);
        if (notBlank(envPath) || notBlank(propPath)) {
            boolean fromEnv = notBlank(envPath);
            String flavor = notBlank(env.get(FLAVOR)) ? env.get(FLAVOR) : properties.apply(FLAVOR);
            String version = notBlank(env.get(VERSION)) ? env.get(VERSION) : properties.apply(VERSION);
            return new EngineSelection(fromEnv ? Source.ENVIRONMENT : Source.SYSTEM_PROPERTY,
                    firstLibtorch(fromEnv ? envPath : propPath), version, flavor, (fromEnv ? LIBRARY_PATH
                    + " is set in the environment" : "-D" + LIBRARY_PATH + " was given to the JVM")
                    + " (it takes precedence over the engine remembered by Layered)", null);
        }
        String bundled = "the CPU libtorch bundled in the pytorch-native-cpu jar (DJL extracts it to its cache)";
        Optional<EngineSettings.Remembered> r;
        try {
            r = settings.engine();
        } catch (EngineException e) {
            return new EngineSelection(Source.BUNDLED, null, DjlNatives.pytorchVersion(), "cpu", bundled,
                    e.getMessage());
        }
        if (r.isEmpty()) {
            return new EngineSelection(Source.BUNDLED, null, DjlNatives.pytorchVersion(), "cpu", "no engine is set "
                    + "up (" + settings.file() + " names none): " + bundled, null);
        }
        EngineSettings.Remembered e = r.get();
        LibtorchFolder folder;
        try {
            folder = LibtorchFolder.recheck(e.dir(), e.version(), e.flavor());
        } catch (EngineException ex) {
            return new EngineSelection(Source.BUNDLED, null, DjlNatives.pytorchVersion(), "cpu", bundled,
                    "the engine remembered in " + settings.file() + " cannot be used (" + ex.getMessage()
                            + "); 'layered engine use default' (or Set Up GPU...) forgets it");
        }
        String overridden = null;
        for (String name : new String[] {VERSION, FLAVOR}) {
            String v = env.get(name);
            String want = name.equals(VERSION) ? folder.version() : folder.flavor();
            if (notBlank(v) && !v.strip().equals(want)) {
                overridden = "the environment sets " + name + "=" + v + ", which DJL prefers over the remembered "
                        + want + ": unset it";
            }
        }
        return new EngineSelection(Source.REMEMBERED, folder.dir(), folder.version(), folder.flavor(),
                "remembered in " + settings.file() + " ('layered engine use' or Set Up GPU...)", overridden);
    }

    /** Hands a remembered engine to DJL as system properties; the other sources need nothing. */
    void apply() {
        if (source == Source.REMEMBERED) {
            System.setProperty(LIBRARY_PATH, dir.toString());
            System.setProperty(VERSION, version);
            System.setProperty(FLAVOR, flavor);
        }
    }

    /** Whether both name the same libtorch. */
    public boolean sameEngine(EngineSelection o) {
        return source == o.source ? Objects.equals(dir, o.dir) && Objects.equals(flavor, o.flavor)
                : Objects.equals(dir, o.dir) && dir != null;
    }

    /** One line: {@code libtorch 2.7.1 cu128 in DIR} or {@code the bundled CPU libtorch 2.7.1}. */
    public String describe() {
        if (dir == null) {
            return "the bundled CPU libtorch " + version;
        }
        return "libtorch " + (version == null ? "" : version + " ") + (flavor == null ? "" : flavor + " ") + "in "
                + dir;
    }

    private static Path firstLibtorch(String searchPath) {
        for (String p : searchPath.split(File.pathSeparator)) {
            Path d = Path.of(p.strip());
            if (Files.isRegularFile(d.resolve(DjlNatives.torchLibrary()))) {
                return d.toAbsolutePath();
            }
            if (d.getFileName() != null && d.getFileName().toString().equals(DjlNatives.torchLibrary())) {
                return d.toAbsolutePath().getParent();
            }
        }
        return Path.of(searchPath.split(File.pathSeparator)[0]).toAbsolutePath();
    }

    private static boolean notBlank(String s) {
        return s != null && !s.isBlank();
    }
}
