package org.layered.build;

import org.w3c.dom.Element;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Builds the ImageJ update site of the plugin: the folder a web server (or a {@code file:} URL) serves to Fiji's
 * updater. It holds {@code plugins/Layered_-<version>.jar-<timestamp>}, the jars Fiji lacks under {@code jars/}
 * (native jars under {@code jars/<platform>/}, named as the updater names platforms), each stored as
 * {@code <path>-<timestamp>} the way the updater downloads it, and {@code db.xml.gz}.
 *
 * <p>What goes in is decided from data, never from a list of names: the run-time dependencies Maven resolved, minus
 * every artifact pom-scijava manages (Fiji ships those, in any version), minus the {@code exclude} patterns
 * (command-line-only jars such as logging bindings), plus other platforms' builds of a native jar that is on the
 * class path with a platform classifier. A previous index (the site as served, or the last build) keeps the
 * timestamps of unchanged files and lists replaced and dropped files as previous versions, so that installed copies
 * read as "update available" and files the site no longer ships are removed from Fiji.
 *
 * <p>Run by {@code mvn package} (exec-maven-plugin, in Maven's JVM). It lives in {@code src/build/java}, apart from
 * the plugin's sources, because it is build tooling that the plugin jar must not carry.
 */
public final class UpdateSiteBuilder {
    /** Maven classifiers of native jars, to the updater's platform names (imagej-updater's {@code Platforms}). */
    static final Map<String, String> PLATFORMS = Map.of(
            "linux-x86_64", "linux64",
            "linux-aarch64", "linux-arm64",
            "osx-x86_64", "macos64",
            "osx-aarch64", "macos-arm64",
            "win-x86_64", "win64",
            "win-aarch64", "win-arm64");

    /** The updater's timestamp format; this builder writes UTC. */
    static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("yyyyMMddHHmmss").withZone(ZoneOffset.UTC);

    /**
     * What to build from.
     *
     * @param site         the folder to (re)create
     * @param plugin       the plugin jar
     * @param dependencies the resolved dependencies ({@link ResolvedArtifact#parse})
     * @param natives      a folder of other platforms' native jars ({@code <artifactId>-<version>-<classifier>.jar}),
     *                     or null
     * @param managed      pom-scijava's managed artifacts
     * @param exclude      {@code groupId:artifactId} patterns ({@code *} matches any run of characters) to leave out
     * @param previous     the previous index (empty for a first site)
     * @param checksums    a checksum cache file, or null
     */
    public record Inputs(Path site, Path plugin, List<ResolvedArtifact> dependencies, Path natives,
            ManagedArtifacts managed, List<String> exclude, List<SiteFile> previous, Path checksums) {}

    /** One file to serve: where it goes in Fiji, where it comes from, and its Maven coordinates. */
    record Entry(String filename, Path source, String platform, String coordinates) {}

    private final Clock clock;
    private final Consumer<String> log;

    public UpdateSiteBuilder(Clock clock, Consumer<String> log) {
        this.clock = clock;
        this.log = log;
    }

    /**
     * The {@code mvn package} entry: {@code --site DIR --plugin JAR --dependencies FILE --managed POM
     * [--natives DIR] [--exclude g:a,...] [--previous FILE|URL] [--checksums FILE]}.
     */
    public static void main(String[] args) throws IOException {
        long start = System.nanoTime();
        Map<String, String> a = options(args);
        List<ResolvedArtifact> deps = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of(require(a, "dependencies")), StandardCharsets.UTF_8)) {
            ResolvedArtifact r = ResolvedArtifact.parse(line);
            if (r != null) {
                deps.add(r);
            }
        }
        UpdateSiteBuilder b = new UpdateSiteBuilder(Clock.systemUTC(), m -> System.out.println("[update-site] " + m));
        Path site = Path.of(require(a, "site"));
        List<SiteFile> built = b.build(new Inputs(site, Path.of(require(a, "plugin")), deps, optionalPath(a, "natives"),
                ManagedArtifacts.fromPom(Path.of(require(a, "managed"))), List.of(a.getOrDefault("exclude", "")
                .split(",")).stream().map(String::strip).filter(s -> !s.isEmpty()).toList(),
                b.previous(a.getOrDefault("previous", "")), optionalPath(a, "checksums")));
        b.log.accept(String.format(java.util.Locale.ROOT, "%s: %d file(s) served, %d obsolete, in %.1f s", site,
                built.stream().filter(f -> f.current() != null).count(),
                built.stream().filter(f -> f.current() == null).count(), (System.nanoTime() - start) / 1e9));
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> out = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("usage: --site DIR --plugin JAR --dependencies FILE --managed POM "
                        + "[--natives DIR] [--exclude g:a,...] [--previous FILE|URL] [--checksums FILE]; at '"
                        + args[i] + "'");
            }
            out.put(args[i].substring(2), args[++i]);
        }
        return out;
    }

    private static String require(Map<String, String> a, String key) {
        String v = a.get(key);
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException("--" + key + " is required");
        }
        return v;
    }

    private static Path optionalPath(Map<String, String> a, String key) {
        String v = a.getOrDefault(key, "");
        return v.isBlank() ? null : Path.of(v);
    }

    /** The previous index from a file or URL; empty (a first site) when the location is blank or holds none. */
    List<SiteFile> previous(String location) throws IOException {
        if (location.isBlank()) {
            return List.of();
        }
        boolean url = location.matches("^[a-zA-Z][a-zA-Z0-9+.-]+:.*") && !location.matches("^[A-Za-z]:[\\\\/].*");
        if (!url && !Files.isRegularFile(Path.of(location))) {
            log.accept("no previous index at " + location + ": a first site (no version history)");
            return List.of();
        }
        try (InputStream in = url ? URI.create(location).toURL().openStream()
                : Files.newInputStream(Path.of(location))) {
            List<SiteFile> files = SiteDatabase.read(in);
            log.accept("continuing the history of " + location + " (" + files.size() + " file record(s))");
            return files;
        }
    }

    /** Builds the site folder and returns its index. */
    public List<SiteFile> build(Inputs in) throws IOException {
        List<Entry> entries = select(in);
        long now = Long.parseLong(TIMESTAMP.format(clock.instant()));
        Map<String, SiteFile> previous = new LinkedHashMap<>();
        for (SiteFile f : in.previous()) {
            previous.put(f.unversioned(), f);
        }
        ChecksumCache cache = ChecksumCache.load(in.checksums());
        Map<String, Entry> byName = new LinkedHashMap<>();
        List<SiteFile> files = new ArrayList<>();
        for (Entry e : entries) {
            Entry clash = byName.put(SiteFile.unversioned(e.filename()), e);
            if (clash != null) {
                throw new IOException(e.filename() + " and " + clash.filename() + " are one file to the updater ("
                        + SiteFile.unversioned(e.filename()) + "): only one version can be installed");
            }
            String checksum = cache.checksum(e.source());
            SiteFile before = previous.remove(SiteFile.unversioned(e.filename()));
            long timestamp = now;
            List<SiteFile.Previous> history = new ArrayList<>();
            if (before != null) {
                if (before.current() != null && before.current().checksum().equals(checksum)) {
                    timestamp = before.current().timestamp();
                } else if (before.current() != null) {
                    history.add(new SiteFile.Previous(before.current().checksum(), before.current().timestamp(), now,
                            before.filename()));
                }
                history.addAll(before.previous());
            }
            JarMetadata meta = JarMetadata.of(e.source());
            files.add(new SiteFile(e.filename(), e.platform() == null ? List.of() : List.of(e.platform()),
                    new SiteFile.Version(checksum, timestamp, Files.size(e.source())),
                    description(meta, e), List.of(), meta.url() == null ? List.of() : List.of(meta.url()),
                    meta.developers(), history));
        }
        cache.save();
        // files the site served before and no longer does: obsolete, so that the updater removes them from Fiji
        for (SiteFile gone : previous.values()) {
            List<SiteFile.Previous> history = new ArrayList<>();
            if (gone.current() != null) {
                history.add(new SiteFile.Previous(gone.current().checksum(), gone.current().timestamp(), now,
                        gone.filename()));
                log.accept("no longer served, marked obsolete: " + gone.filename());
            }
            history.addAll(gone.previous());
            files.add(new SiteFile(gone.filename(), gone.platforms(), null, gone.description(), List.of(),
                    gone.links(), gone.authors(), history));
        }
        files = withPluginDependencies(files, entries.get(0).filename());
        files.sort(Comparator.comparing(SiteFile::filename));
        write(in.site(), entries, files);
        return files;
    }

    /** What the updater shows for a file, ending in its Maven coordinates (what the site's tests read back). */
    private static String description(JarMetadata meta, Entry e) {
        String what = meta.description() != null ? meta.description().replaceAll("\\.+$", "") + ". "
                : e.platform() != null ? "Native libraries for " + e.platform() + ". " : "";
        return what + "Maven artifact " + e.coordinates() + ".";
    }

    /** The plugin needs every platform-independent jar of the site; native jars go where their platform is. */
    private static List<SiteFile> withPluginDependencies(List<SiteFile> files, String plugin) {
        List<SiteFile.Dependency> deps = files.stream()
                .filter(f -> f.current() != null && f.platforms().isEmpty() && !f.filename().equals(plugin))
                .sorted(Comparator.comparing(SiteFile::filename))
                .map(f -> new SiteFile.Dependency(f.filename(), f.current().timestamp())).toList();
        return new ArrayList<>(files.stream().map(f -> !f.filename().equals(plugin) ? f : new SiteFile(f.filename(),
                f.platforms(), f.current(), f.description(), deps, f.links(), f.authors(), f.previous())).toList());
    }

    /** The files to serve: the plugin first, then the dependencies Fiji lacks, then other platforms' natives. */
    List<Entry> select(Inputs in) throws IOException {
        List<Entry> out = new ArrayList<>();
        out.add(new Entry("plugins/" + in.plugin().getFileName(), in.plugin(), null,
                JarMetadata.of(in.plugin()).coordinates()));
        List<Pattern> exclude = in.exclude().stream().map(UpdateSiteBuilder::glob).toList();
        Map<String, ResolvedArtifact> nativePrefixes = new LinkedHashMap<>();
        for (ResolvedArtifact r : in.dependencies()) {
            if (!r.scope().equals("compile") && !r.scope().equals("runtime")) {
                continue; // provided: Fiji has it; test/system: not needed at run time
            }
            if (in.managed().contains(r.groupId(), r.artifactId())) {
                log.accept("left out, Fiji ships it: " + r.coordinates());
                continue;
            }
            String key = r.groupId() + ":" + r.artifactId();
            if (exclude.stream().anyMatch(p -> p.matcher(key).matches())) {
                log.accept("left out, excluded: " + r.coordinates());
                continue;
            }
            if (!r.type().equals("jar")) {
                throw new IOException(r.coordinates() + " is a " + r.type() + ", not a jar: an update site serves "
                        + "jars");
            }
            String platform = r.classifier() == null ? null : platform(r.classifier(), r.coordinates());
            if (platform != null) {
                nativePrefixes.put(r.artifactId() + "-" + r.version() + "-", r);
            }
            out.add(new Entry("jars/" + (platform == null ? "" : platform + "/") + r.file().getFileName(), r.file(),
                    platform, r.coordinates()));
        }
        if (in.natives() != null && Files.isDirectory(in.natives())) {
            try (Stream<Path> s = Files.list(in.natives())) {
                for (Path p : s.filter(f -> f.getFileName().toString().endsWith(".jar")).sorted().toList()) {
                    Entry e = otherPlatform(p, nativePrefixes);
                    if (out.stream().noneMatch(c -> c.filename().equals(e.filename()))) {
                        out.add(e);
                    }
                }
            }
        }
        return out;
    }

    private static String platform(String classifier, String what) throws IOException {
        String platform = PLATFORMS.get(classifier);
        if (platform == null) {
            throw new IOException(what + ": classifier '" + classifier + "' is no platform the updater knows ("
                    + String.join(", ", PLATFORMS.keySet().stream().sorted().toList()) + ")");
        }
        return platform;
    }

    private static Entry otherPlatform(Path jar, Map<String, ResolvedArtifact> nativePrefixes) throws IOException {
        String name = jar.getFileName().toString();
        for (Map.Entry<String, ResolvedArtifact> e : nativePrefixes.entrySet()) {
            if (name.startsWith(e.getKey())) {
                String classifier = name.substring(e.getKey().length(), name.length() - ".jar".length());
                ResolvedArtifact r = e.getValue();
                String coordinates = r.groupId() + ":" + r.artifactId() + ":" + r.version() + ":" + classifier;
                String platform = platform(classifier, coordinates);
                return new Entry("jars/" + platform + "/" + name, jar, platform, coordinates);
            }
        }
        throw new IOException(jar + " is no other platform's build of a native jar on the class path ("
                + String.join(", ", nativePrefixes.values().stream().map(ResolvedArtifact::coordinates).toList())
                + ")");
    }

    /** A {@code groupId:artifactId} pattern in which {@code *} matches any run of characters. */
    static Pattern glob(String pattern) {
        StringBuilder b = new StringBuilder();
        String[] parts = pattern.split("\\*", -1);
        for (int i = 0; i < parts.length; i++) {
            if (i > 0) {
                b.append(".*");
            }
            b.append(Pattern.quote(parts[i]));
        }
        return Pattern.compile(b.toString());
    }

    /**
     * Replaces the site folder with the served files and the index. A served file is a hard link to its source
     * where the file system allows (the site is read-only data, and the native jars are large), else a copy.
     */
    private static void write(Path site, List<Entry> entries, List<SiteFile> index) throws IOException {
        Path fresh = site.resolveSibling(site.getFileName() + ".tmp");
        deleteTree(fresh);
        Map<String, Path> sources = new HashMap<>();
        for (Entry e : entries) {
            sources.put(e.filename(), e.source());
        }
        for (SiteFile f : index) {
            if (f.current() == null) {
                continue;
            }
            Path target = fresh.resolve(f.servedPath());
            Files.createDirectories(target.getParent());
            Path source = sources.get(f.filename());
            try {
                Files.createLink(target, source);
            } catch (FileSystemException | UnsupportedOperationException e) {
                Files.copy(source, target, StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
        try (OutputStream out = Files.newOutputStream(fresh.resolve(SiteDatabase.FILE))) {
            SiteDatabase.write(index, out);
        }
        deleteTree(site);
        Files.move(fresh, site, StandardCopyOption.ATOMIC_MOVE);
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /**
     * What a jar's embedded Maven metadata says about it: the uploader of the updater copies a POM's description,
     * URL and developers into the index. Jars built without Maven (DJL's) have none.
     */
    record JarMetadata(String coordinates, String description, String url, List<String> developers) {
        /** {@code groupId:artifactId} from the embedded {@code pom.properties}, or null. */
        String key() {
            return coordinates == null ? null : coordinates.substring(0, coordinates.lastIndexOf(':'));
        }

        static JarMetadata of(Path jar) throws IOException {
            try (ZipFile z = new ZipFile(jar.toFile())) {
                String coordinates = null;
                ZipEntry props = find(z, "pom\\.properties");
                if (props != null) {
                    Properties p = new Properties();
                    try (InputStream in = z.getInputStream(props)) {
                        p.load(in);
                    }
                    coordinates = p.getProperty("groupId") + ":" + p.getProperty("artifactId") + ":"
                            + p.getProperty("version");
                }
                ZipEntry pom = find(z, "pom\\.xml");
                if (pom == null) {
                    return new JarMetadata(coordinates, null, null, List.of());
                }
                Element root;
                try (InputStream in = z.getInputStream(pom)) {
                    root = Xml.parse(in, jar + "!/" + pom.getName());
                }
                String name = resolved(Xml.text(root, "name"));
                String description = resolved(Xml.text(root, "description"));
                List<String> developers = new ArrayList<>();
                Element devs = Xml.child(root, "developers");
                for (Element d : devs == null ? List.<Element>of() : Xml.children(devs, "developer")) {
                    if (resolved(Xml.text(d, "name")) != null) {
                        developers.add(Xml.text(d, "name"));
                    }
                }
                String text = name == null ? description : description == null ? name : name + ": " + description;
                return new JarMetadata(coordinates, text, resolved(Xml.text(root, "url")), developers);
            }
        }

        private static ZipEntry find(ZipFile z, String file) {
            return z.stream().filter(e -> e.getName().matches("META-INF/maven/[^/]+/[^/]+/" + file)).findFirst()
                    .orElse(null);
        }

        /** A POM value, or null when it is a property reference the embedded POM leaves unresolved. */
        private static String resolved(String v) {
            return v == null || v.contains("${") ? null : v;
        }
    }
}
