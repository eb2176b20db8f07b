package org.layered.build;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** The update-site builder on small made-up jars: what goes in, the served tree, and the version history. */
class UpdateSiteBuilderTest {
    private static final Instant FIRST = Instant.parse("2026-12-01T10:00:00Z");
    private static final Instant SECOND = Instant.parse("2026-12-02T11:30:00Z");

    @TempDir
    Path tmp;
    private final List<String> log = new ArrayList<>();

    private Path jar(String name, String content) throws Exception {
        Path p = tmp.resolve("repo").resolve(name);
        Files.createDirectories(p.getParent());
        UpdaterChecksumTest.writeJar(p, Map.of("x/" + name + ".txt", content.getBytes(StandardCharsets.UTF_8)));
        return p;
    }

    private ManagedArtifacts managed() throws Exception {
        Path pom = tmp.resolve("pom-scijava.pom");
        Files.writeString(pom, """
                <project><dependencyManagement><dependencies>
                  <dependency><groupId>com.google.code.gson</groupId><artifactId>gson</artifactId>
                    <version>${gson.version}</version></dependency>
                  <dependency><groupId>net.imglib2</groupId><artifactId>imglib2</artifactId><version>7</version>
                  </dependency>
                </dependencies></dependencyManagement></project>""");
        return ManagedArtifacts.fromPom(pom);
    }

    private ResolvedArtifact artifact(String coordinates, String scope, Path file) {
        String[] c = coordinates.split(":");
        String line = c[0] + ":" + c[1] + ":jar:" + (c.length > 3 ? c[3] + ":" : "") + c[2] + ":" + scope + ":" + file;
        return ResolvedArtifact.parse(line);
    }

    private UpdateSiteBuilder builder(Instant now) {
        return new UpdateSiteBuilder(Clock.fixed(now, ZoneOffset.UTC), log::add);
    }

    private Path natives() throws Exception {
        Path dir = tmp.resolve("natives");
        if (Files.isDirectory(dir)) {
            return dir;
        }
        Files.createDirectories(dir);
        Files.copy(jar("torch-2.7.1-osx-aarch64.jar", "mac"), dir.resolve("torch-2.7.1-osx-aarch64.jar"));
        Files.copy(jar("torch-2.7.1-win-x86_64.jar", "win"), dir.resolve("torch-2.7.1-win-x86_64.jar"));
        return dir;
    }

    private UpdateSiteBuilder.Inputs inputs(Path plugin, List<ResolvedArtifact> deps, List<SiteFile> previous)
            throws Exception {
        return new UpdateSiteBuilder.Inputs(tmp.resolve("site"), plugin, deps, natives(), managed(),
                List.of("org.slf4j:*"), previous, tmp.resolve("checksums.tsv"));
    }

    private List<ResolvedArtifact> dependencies() throws Exception {
        return List.of(
                artifact("ai.djl:api:0.36.0", "compile", jar("api-0.36.0.jar", "api")),
                artifact("ai.djl.pytorch:torch:2.7.1:linux-x86_64", "runtime", jar("torch-2.7.1-linux-x86_64.jar",
                        "linux")),
                artifact("com.google.code.gson:gson:2.13.1", "compile", jar("gson-2.13.1.jar", "gson")),
                artifact("org.slf4j:slf4j-simple:2.0.17", "runtime", jar("slf4j-simple-2.0.17.jar", "binding")),
                artifact("net.imglib2:imglib2:7.1.2", "provided", jar("imglib2-7.1.2.jar", "imglib2")));
    }

    @Test
    void servesThePluginAndWhatFijiLacksNamedAsTheUpdaterExpects() throws Exception {
        Path plugin = jar("Layered_-1.0.jar", "plugin");
        List<SiteFile> index = builder(FIRST).build(inputs(plugin, dependencies(), List.of()));

        Path site = tmp.resolve("site");
        assertEquals(new TreeSet<>(List.of("db.xml.gz",
                "jars/api-0.36.0.jar-20261201100000",
                "jars/linux64/torch-2.7.1-linux-x86_64.jar-20261201100000",
                "jars/macos-arm64/torch-2.7.1-osx-aarch64.jar-20261201100000",
                "jars/win64/torch-2.7.1-win-x86_64.jar-20261201100000",
                "plugins/Layered_-1.0.jar-20261201100000")), tree(site),
                "no managed jar (gson, any version), no excluded binding, nothing provided");
        assertTrue(log.contains("left out, Fiji ships it: com.google.code.gson:gson:2.13.1"), log.toString());
        assertTrue(log.contains("left out, excluded: org.slf4j:slf4j-simple:2.0.17"), log.toString());

        List<SiteFile> read;
        try (InputStream in = Files.newInputStream(site.resolve(SiteDatabase.FILE))) {
            read = SiteDatabase.read(in);
        }
        assertEquals(index, read, "the index reads back as written");
        for (SiteFile f : read) {
            assertEquals(UpdaterChecksum.ofJar(site.resolve(f.servedPath())), f.current().checksum(), f.filename());
            assertEquals(Files.size(site.resolve(f.servedPath())), f.current().filesize());
            assertEquals(20261201100000L, f.current().timestamp());
        }
        SiteFile mac = file(read, "jars/macos-arm64/torch-2.7.1-osx-aarch64.jar");
        assertEquals(List.of("macos-arm64"), mac.platforms());
        assertTrue(mac.description().endsWith("Maven artifact ai.djl.pytorch:torch:2.7.1:osx-aarch64."),
                mac.description());
        SiteFile p = file(read, "plugins/Layered_-1.0.jar");
        assertTrue(p.platforms().isEmpty());
        assertEquals(List.of(new SiteFile.Dependency("jars/api-0.36.0.jar", 20261201100000L)), p.dependencies(),
                "the plugin needs the platform-independent jars");
    }

    @Test
    void aSecondBuildKeepsUnchangedFilesAndRecordsReplacedAndDroppedOnes() throws Exception {
        Path plugin = jar("Layered_-1.0.jar", "plugin");
        List<SiteFile> first = builder(FIRST).build(inputs(plugin, dependencies(), List.of()));

        // next release: a new plugin, api upgraded (new file name), the linux natives unchanged, torch for win gone
        Path plugin2 = jar("Layered_-1.1.jar", "plugin 1.1");
        List<ResolvedArtifact> deps = new ArrayList<>(dependencies());
        deps.set(0, artifact("ai.djl:api:0.37.0", "compile", jar("api-0.37.0.jar", "api 0.37")));
        UpdateSiteBuilder.Inputs in = inputs(plugin2, deps, first);
        Files.delete(in.natives().resolve("torch-2.7.1-win-x86_64.jar"));
        List<SiteFile> second = builder(SECOND).build(in);

        SiteFile linux = file(second, "jars/linux64/torch-2.7.1-linux-x86_64.jar");
        assertEquals(20261201100000L, linux.current().timestamp(), "unchanged: same version, no history");
        assertTrue(linux.previous().isEmpty());
        SiteFile api = file(second, "jars/api-0.37.0.jar");
        assertEquals(20261202113000L, api.current().timestamp());
        assertEquals(List.of(new SiteFile.Previous(file(first, "jars/api-0.36.0.jar").current().checksum(),
                20261201100000L, 20261202113000L, "jars/api-0.36.0.jar")), api.previous());
        SiteFile win = file(second, "jars/win64/torch-2.7.1-win-x86_64.jar");
        assertNull(win.current(), "dropped: obsolete, so that Fiji removes it");
        assertEquals(1, win.previous().size());
        assertEquals(List.of(new SiteFile.Dependency("jars/api-0.37.0.jar", 20261202113000L)),
                file(second, "plugins/Layered_-1.1.jar").dependencies());
        assertFalse(tree(tmp.resolve("site")).stream().anyMatch(f -> f.contains("win64") || f.contains("1.0.jar")),
                "only current versions are served");
    }

    @Test
    void badInputsAreRefusedWithTheReason() throws Exception {
        Path plugin = jar("Layered_-1.0.jar", "plugin");
        List<ResolvedArtifact> clash = new ArrayList<>(dependencies());
        clash.add(artifact("other:api:1.0", "compile", jar("api-1.0.jar", "another api")));
        IOException e = assertThrows(IOException.class, () -> builder(FIRST).build(inputs(plugin, clash, List.of())));
        assertTrue(e.getMessage().contains("are one file to the updater (jars/api.jar)"), e.getMessage());

        List<ResolvedArtifact> odd = List.of(artifact("x:y:1.0:solaris-sparc", "compile", jar("y-1.0-solaris-sparc.jar",
                "?")));
        e = assertThrows(IOException.class, () -> builder(FIRST).build(inputs(plugin, odd, List.of())));
        assertTrue(e.getMessage().contains("classifier 'solaris-sparc' is no platform the updater knows"),
                e.getMessage());
    }

    @Test
    void dependencyListLinesAreParsedWithModulesAndDrivesInPaths() {
        ResolvedArtifact a = ResolvedArtifact.parse("   ai.djl.pytorch:pytorch-native-cpu:jar:linux-x86_64:2.7.1:runtime:"
                + "/r/pytorch-native-cpu-2.7.1-linux-x86_64.jar");
        assertEquals("ai.djl.pytorch:pytorch-native-cpu:2.7.1:linux-x86_64", a.coordinates());
        assertEquals("runtime", a.scope());
        ResolvedArtifact b = ResolvedArtifact.parse("   ai.djl:api:jar:0.36.0:compile:C:\\m2\\api-0.36.0.jar -- module "
                + "ai.djl.api [auto]");
        assertEquals("ai.djl:api:0.36.0", b.coordinates());
        assertEquals("C:\\m2\\api-0.36.0.jar", b.file().toString());
        // as written when Maven colours its output (run from a terminal without -B)
        ResolvedArtifact c = ResolvedArtifact.parse("   ai.djl.huggingface:tokenizers:jar:0.36.0:compile:/m2/tok.jar"
                + "\u001B[36m -- module ai.djl.tokenizers\u001B[0;1m [auto]\u001B[m");
        assertEquals("/m2/tok.jar", c.file().toString());
        assertEquals("ai.djl.huggingface:tokenizers:0.36.0", c.coordinates());
        assertNull(ResolvedArtifact.parse("The following files have been resolved:"));
        assertNull(ResolvedArtifact.parse(""));
        assertThrows(IllegalArgumentException.class, () -> ResolvedArtifact.parse("a:b:c"));
    }

    private static SiteFile file(List<SiteFile> index, String filename) {
        return index.stream().filter(f -> f.filename().equals(filename)).findFirst()
                .orElseThrow(() -> new AssertionError(filename + " not in the index"));
    }

    static TreeSet<String> tree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).map(p -> dir.relativize(p).toString().replace('\\', '/'))
                    .collect(java.util.stream.Collectors.toCollection(TreeSet::new));
        }
    }
}
