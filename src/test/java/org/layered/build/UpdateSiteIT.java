package org.layered.build;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipFile;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The update site that {@code mvn package} built ({@code target/update-site/}), checked as Fiji's updater will read
 * it: every listed checksum recomputed from the served file, the served tree exactly what the index lists, and
 * nothing that Fiji already ships (an artifact pom-scijava manages, in any version) or that only the command line
 * needs (a logging binding).
 */
class UpdateSiteIT {
    /** The platform names imagej-updater knows ({@code Platforms.known()} and its launchers' platforms). */
    private static final Set<String> UPDATER_PLATFORMS = Set.of("linux32", "linux64", "linux-arm64", "linuxx",
            "macos64", "macos-arm64", "macosx", "win32", "win64", "win-arm64", "winx");
    private static final Pattern COORDINATES = Pattern.compile("Maven artifact ([^:\\s]+):([^:\\s]+):[^\\s]+?\\.$");

    private static Path site;
    private static List<SiteFile> index;
    private static ManagedArtifacts managed;

    @BeforeAll
    static void read() throws IOException {
        site = Path.of(System.getProperty("layered.updateSite", "target/update-site"));
        assertTrue(Files.isRegularFile(site.resolve(SiteDatabase.FILE)), "no update site at " + site
                + " (built by mvn package)");
        try (InputStream in = Files.newInputStream(site.resolve(SiteDatabase.FILE))) {
            index = SiteDatabase.read(in);
        }
        managed = ManagedArtifacts.fromPom(Path.of(System.getProperty("layered.scijavaPom")));
    }

    @Test
    void everyChecksumIsTheUpdatersAndTheTreeIsExactlyWhatTheIndexLists() throws IOException {
        Set<String> expected = new TreeSet<>(Set.of(SiteDatabase.FILE));
        for (SiteFile f : index) {
            assertNotNull(f.current(), f.filename() + ": a freshly built site has no obsolete entries");
            Path served = site.resolve(f.servedPath());
            assertTrue(Files.isRegularFile(served), "listed but not served: " + f.servedPath());
            assertEquals(f.current().checksum(), UpdaterChecksum.ofJar(served), f.filename());
            assertEquals(f.current().filesize(), Files.size(served), f.filename());
            assertTrue(String.valueOf(f.current().timestamp()).matches("20\\d{12}"), f.filename());
            expected.add(f.servedPath());
        }
        assertEquals(expected, UpdateSiteBuilderTest.tree(site));
    }

    @Test
    void thePluginIsThereWithItsMenuAndTheJarsItNeeds() throws IOException {
        List<SiteFile> plugins = index.stream().filter(f -> f.filename().startsWith("plugins/")).toList();
        assertEquals(1, plugins.size(), plugins.toString());
        SiteFile plugin = plugins.get(0);
        assertTrue(plugin.filename().matches("plugins/Layered_-[^/]+\\.jar"), plugin.filename());
        try (ZipFile z = new ZipFile(site.resolve(plugin.servedPath()).toFile())) {
            assertNotNull(z.getEntry("plugins.config"), "ImageJ 1.x menu entries");
        }
        Map<String, Long> served = new HashMap<>();
        index.forEach(f -> served.put(f.filename(), f.current().timestamp()));
        for (SiteFile.Dependency d : plugin.dependencies()) {
            assertEquals(served.get(d.filename()), d.timestamp(), "dependency " + d.filename());
        }
        assertTrue(index.stream().anyMatch(f -> f.filename().matches("jars/linux64/pytorch-native-cpu-.*\\.jar")),
                "libtorch for linux64");
    }

    @Test
    void nativeJarsLiveInTheirPlatformsFolderAndOthersAreForAllPlatforms() {
        for (SiteFile f : index) {
            String[] parts = f.filename().split("/");
            if (parts.length == 3) {
                assertEquals("jars", parts[0], f.filename());
                assertEquals(List.of(parts[1]), f.platforms(), f.filename());
                assertTrue(UPDATER_PLATFORMS.contains(parts[1]), f.filename());
            } else {
                assertEquals(2, parts.length, f.filename());
                assertTrue(f.platforms().isEmpty(), f.filename());
            }
        }
    }

    @Test
    void nothingFijiShipsOrOnlyTheCommandLineNeedsIsServed() throws IOException {
        // pom-scijava's artifacts as the updater would name them in Fiji's jars/ folder, whatever the version
        Set<String> fijiNames = new HashSet<>();
        for (String key : managed.keys()) {
            fijiNames.add(SiteFile.unversioned("jars/" + key.substring(key.indexOf(':') + 1) + ".jar"));
        }
        for (SiteFile f : index) {
            Matcher m = COORDINATES.matcher(f.description());
            assertTrue(m.find(), f.filename() + ": no Maven coordinates in '" + f.description() + "'");
            assertFalse(managed.contains(m.group(1), m.group(2)), f.filename() + " is " + m.group(1) + ":"
                    + m.group(2) + ", which Fiji ships");
            assertFalse(fijiNames.contains(f.unversioned()), f.filename() + " has the name of a jar Fiji ships");
            try (ZipFile z = new ZipFile(site.resolve(f.servedPath()).toFile())) {
                assertNull(z.getEntry("org/slf4j/impl/StaticLoggerBinder.class"), f.filename() + ": SLF4J binding");
                assertNull(z.getEntry("META-INF/services/org.slf4j.spi.SLF4JServiceProvider"), f.filename()
                        + ": SLF4J binding");
            }
        }
    }

    @Test
    void whatTheCommandLineRunsOnIsServedShippedByFijiOrCommandLineOnly() throws IOException {
        Path lib = Path.of(System.getProperty("layered.cliLib", "target/lib"));
        List<Pattern> cliOnly = Stream.of(System.getProperty("layered.updateSite.exclude", "").split(","))
                .map(String::strip).filter(x -> !x.isEmpty()).map(UpdateSiteBuilder::glob).toList();
        Set<String> servedChecksums = new HashSet<>();
        index.forEach(f -> servedChecksums.add(f.current().checksum()));
        try (Stream<Path> s = Files.list(lib)) {
            for (Path jar : s.filter(p -> p.toString().endsWith(".jar")).toList()) {
                String name = SiteFile.unversioned("jars/" + jar.getFileName());
                boolean fiji = managed.keys().stream().anyMatch(k -> name.equals(
                        SiteFile.unversioned("jars/" + k.substring(k.indexOf(':') + 1) + ".jar")));
                String key = UpdateSiteBuilder.JarMetadata.of(jar).key();
                boolean excluded = key != null && cliOnly.stream().anyMatch(p -> p.matcher(key).matches());
                assertTrue(fiji || excluded || servedChecksums.contains(UpdaterChecksum.ofJar(jar)),
                        jar.getFileName() + " is on the command line's class path, but neither served, nor in Fiji, "
                                + "nor excluded as command-line only");
            }
        }
    }
}
