package org.layered.fiji.ij1;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Plain ImageJ 1.x as users install it, for child JVMs: ij.jar and the runtime libraries on the class path, and
 * the plugin jar, built from the compiled classes and the top-level {@code plugins.config}, in {@code plugins/} of
 * a home folder, so that ImageJ finds the Layered commands through plugins.config exactly as in a real
 * installation. Never the compiled classes folders on the class path.
 */
final class PlainImageJ {
    final Path home;
    private final List<String> classPath;

    private PlainImageJ(Path home, List<String> classPath) {
        this.home = home;
        this.classPath = classPath;
    }

    /** Installs the plugin into {@code home/plugins/}. */
    static PlainImageJ install(Path home) throws Exception {
        Path plugins = Files.createDirectories(home.resolve("plugins"));
        buildPluginJar(plugins.resolve("Layered_-test.jar"));
        return new PlainImageJ(home, childClassPath());
    }

    /** xvfb-run on PATH, or null. */
    static String xvfbRun() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
            Path p = Path.of(dir, "xvfb-run");
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        return null;
    }

    /**
     * The command line of a child JVM that runs {@code mainClass} with a display ({@code java.awt.headless=false};
     * the caller provides the display), ImageJ's plugins folder and user home in {@link #home}, and
     * {@code extraJars} on the class path.
     */
    List<String> java(List<String> extraJars, String mainClass) {
        List<String> cp = new ArrayList<>(classPath);
        cp.addAll(extraJars);
        String java = Path.of(System.getProperty("layered.test.javaHome", System.getProperty("java.home")), "bin",
                "java").toString();
        return List.of(java, "-Xmx3g", "-Djava.awt.headless=false", "-Dai.djl.offline=true",
                "-Dplugins.dir=" + home, "-Duser.home=" + home, "-cp", String.join(File.pathSeparator, cp), mainClass);
    }

    /** The environment the child needs besides the test JVM's: the DJL native cache, eager return of memory. */
    static Map<String, String> environment() {
        String djl = System.getenv("DJL_CACHE_DIR") != null ? System.getenv("DJL_CACHE_DIR")
                : Path.of(System.getProperty("user.home"), ".djl.ai").toString();
        return Map.of("MALLOC_MMAP_THRESHOLD_", "1048576", "DJL_CACHE_DIR", djl);
    }

    /** target/classes (the plugin's classes) plus the top-level plugins.config at the jar root. */
    private static void buildPluginJar(Path jar) throws Exception {
        Path classes = Path.of(DecomposePlugin.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Manifest mf = new Manifest();
        mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        mf.getMainAttributes().put(Attributes.Name.IMPLEMENTATION_VERSION, "xvfb-test");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), mf);
             Stream<Path> walk = Files.walk(classes)) {
            for (Path p : walk.filter(Files::isRegularFile).sorted().toList()) {
                String name = classes.relativize(p).toString().replace(File.separatorChar, '/');
                if (name.equals("plugins.config") || name.equals("META-INF/MANIFEST.MF")) {
                    continue;
                }
                out.putNextEntry(new JarEntry(name));
                Files.copy(p, out);
                out.closeEntry();
            }
            out.putNextEntry(new JarEntry("plugins.config"));
            Files.copy(Path.of("plugins.config"), out);
            out.closeEntry();
        }
    }

    /** ij.jar and the runtime jars of the test class path; never the compiled classes folders. */
    private static List<String> childClassPath() {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> out = new ArrayList<>();
        for (String e : cp.split(File.pathSeparator)) {
            String name = Path.of(e).getFileName().toString();
            if (e.endsWith(".jar") && Files.isRegularFile(Path.of(e)) && !name.startsWith("junit-")
                    && !name.startsWith("opentest4j") && !name.startsWith("apiguardian") && !name.startsWith("surefire")
                    && !name.startsWith("scijava-common")) {
                out.add(e);
            }
        }
        assertTrue(out.stream().anyMatch(e -> Path.of(e).getFileName().toString().startsWith("ij-")), out.toString());
        return out;
    }
}
