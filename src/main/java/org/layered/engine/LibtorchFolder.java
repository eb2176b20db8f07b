package org.layered.engine;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A libtorch folder that DJL can load: one that holds {@code libtorch.so} (or {@code torch.dll}, ...), its version
 * and flavour ({@code cpu}, {@code cu128}, ...), and a DJL JNI library for exactly that build. Found in the marker
 * file an engine install writes ({@link #MARKER}), in the {@code build-version} file of a libtorch archive from
 * pytorch.org ({@code 2.7.1+cu128}), or in the {@code version.py} of a pip-installed torch beside {@code lib/}.
 *
 * @param dir     the folder holding the libraries (what DJL's {@code PYTORCH_LIBRARY_PATH} names)
 * @param version libtorch version without build suffix, e.g. {@code 2.7.1}
 * @param flavor  {@code cpu} or {@code cuNNN}
 * @param origin  where version and flavour were read
 */
public record LibtorchFolder(Path dir, String version, String flavor, String origin) {
    /** Written by {@code layered engine install} into the engine folder: version, flavor, classifier, source. */
    public static final String MARKER = "layered-engine.properties";
    private static final Pattern FLAVOR = Pattern.compile("cpu|cu\\d{3}");
    private static final Pattern BUILD = Pattern.compile("(\\d+\\.\\d+\\.\\d+)(?:[.a-z0-9]*)?(?:\\+(\\w+))?");
    private static final Pattern PY_VERSION = Pattern.compile(
            "(?m)^__version__\\s*(?::[^=]*)?=\\s*['\"]([^'\"]+)['\"]");
    private static final Pattern PY_CUDA = Pattern.compile(
            "(?m)^cuda\\s*(?::[^=]*)?=\\s*(?:['\"](\\d+)\\.(\\d+)['\"]|None)");

    /** Whether this is a CUDA build. */
    public boolean isCuda() {
        return flavor.startsWith("cu");
    }

    /** E.g. {@code libtorch 2.7.1 cu128 in /opt/libtorch/lib}. */
    public String describe() {
        return "libtorch " + version + " " + flavor + " in " + dir;
    }

    /**
     * Inspects a folder the user named ({@code dir} itself or its {@code lib/}); version and flavour are detected
     * unless given.
     *
     * @param version the libtorch version, or null to detect it
     * @param flavor  {@code cpu} or {@code cuNNN}, or null to detect it
     * @throws EngineException naming what is missing and what to do
     */
    public static LibtorchFolder inspect(Path given, String version, String flavor) {
        Path dir = libraryDir(given);
        String origin = "given";
        String v = version;
        String f = flavor;
        if (v == null || f == null) {
            String[] found = detect(dir);
            if (found == null) {
                throw new EngineException("cannot tell the version and flavour of the libtorch in " + dir + " (no "
                        + MARKER + ", ../build-version or ../version.py): give them, e.g. 'layered engine use "
                        + given + " --version 2.7.1 --flavor cu128'");
            }
            v = v == null ? found[0] : v;
            f = f == null ? found[1] : f;
            origin = found[2];
        }
        return check(dir, v, f, origin);
    }

    /** Checks a folder remembered earlier (it may have been moved or deleted since). */
    public static LibtorchFolder recheck(Path dir, String version, String flavor) {
        return check(libraryDir(dir), version, flavor, "remembered");
    }

    private static LibtorchFolder check(Path dir, String version, String flavor, String origin) {
        String f = flavor.strip().toLowerCase(Locale.ROOT);
        if (!FLAVOR.matcher(f).matches()) {
            throw new EngineException("unknown libtorch flavour '" + flavor + "': use cpu or cuNNN (e.g. cu128)");
        }
        Matcher vm = BUILD.matcher(version.strip());
        if (!vm.matches()) {
            throw new EngineException("not a libtorch version: '" + version + "' (e.g. 2.7.1)");
        }
        String v = vm.group(1);
        boolean cudaLibs = Files.exists(dir.resolve(System.mapLibraryName("torch_cuda")));
        if (cudaLibs != f.startsWith("cu")) {
            throw new EngineException("the libtorch in " + dir + (cudaLibs ? " is a CUDA build" : " has no CUDA "
                    + "library (" + System.mapLibraryName("torch_cuda") + ")") + " but its flavour is given as " + f);
        }
        String jni = jniProblem(dir, v, f);
        if (jni != null) {
            throw new EngineException(jni);
        }
        return new LibtorchFolder(dir, v, f, origin);
    }

    /** {@code given}, or {@code given/lib}, whichever holds libtorch. */
    static Path libraryDir(Path given) {
        Path g = given.toAbsolutePath().normalize();
        String lib = DjlNatives.torchLibrary();
        if (Files.isRegularFile(g.resolve(lib))) {
            return g;
        }
        if (Files.isRegularFile(g.resolve("lib").resolve(lib))) {
            return g.resolve("lib");
        }
        throw new EngineException(Files.isDirectory(g) ? "no " + lib + " in " + g + " or " + g.resolve("lib")
                + ": give the folder of a libtorch build (e.g. libtorch/ from pytorch.org, or an engine installed by "
                + "'layered engine install')" : "no such folder: " + g);
    }

    /** {version, flavor, origin} from the marker, build-version or version.py; null when none says. */
    static String[] detect(Path dir) {
        Path marker = dir.resolve(MARKER);
        if (Files.isRegularFile(marker)) {
            Properties p = new Properties();
            try (InputStream in = Files.newInputStream(marker)) {
                p.load(in);
                if (p.getProperty("version") != null && p.getProperty("flavor") != null) {
                    return new String[] {p.getProperty("version"), p.getProperty("flavor"), marker.toString()};
                }
            } catch (IOException e) {
                // fall through to the other sources
            }
        }
        Path build = dir.resolveSibling("build-version");
        if (Files.isRegularFile(build)) {
            Matcher m = BUILD.matcher(read(build).strip());
            if (m.matches() && m.group(2) != null && FLAVOR.matcher(m.group(2)).matches()) {
                return new String[] {m.group(1), m.group(2), build.toString()};
            }
        }
        Path py = dir.resolveSibling("version.py");
        if (Files.isRegularFile(py)) {
            String text = read(py);
            Matcher v = PY_VERSION.matcher(text);
            Matcher c = PY_CUDA.matcher(text);
            if (v.find()) {
                Matcher b = BUILD.matcher(v.group(1));
                String suffix = b.matches() ? b.group(2) : null;
                String flavor = suffix != null && FLAVOR.matcher(suffix).matches() ? suffix
                        : c.find() ? (c.group(1) == null ? "cpu" : "cu" + c.group(1) + c.group(2)) : null;
                if (b.matches() && flavor != null) {
                    return new String[] {b.group(1), flavor, py.toString()};
                }
            }
        }
        return null;
    }

    /** Why DJL could not load its JNI next to this libtorch, or null when it can (same order DJL looks in). */
    static String jniProblem(Path dir, String version, String flavor) {
        String cached = DjlNatives.cachedJniName();
        if (Files.isRegularFile(dir.resolve(cached)) || Files.isRegularFile(dir.resolve(DjlNatives.jniLibrary()))) {
            return null;
        }
        Path cache = DjlNatives.cacheDir().resolve(version + "-" + flavor + "-" + DjlNatives.classifier());
        if (Files.isRegularFile(cache.resolve(cached)) || DjlNatives.bundledJni(version, flavor)) {
            return null;
        }
        return "DJL " + DjlNatives.djlVersion() + " has no JNI library for libtorch " + version + " " + flavor + " on "
                + DjlNatives.classifier() + " (its pytorch-jni jar carries " + DjlNatives.pytorchVersion()
                + " cpu and cu128 only, and Layered never lets DJL download): use libtorch " + DjlNatives
                .pytorchVersion() + " (cpu or cu128; 'layered engine install'), or put a " + DjlNatives.jniLibrary()
                + " built for this libtorch into " + dir + " (README, 'GPU')";
    }

    private static String read(Path p) {
        try {
            return Files.readString(p, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }
}
