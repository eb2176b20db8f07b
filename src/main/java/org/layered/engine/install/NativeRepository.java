package org.layered.engine.install;

import org.layered.store.HttpFiles;
import org.layered.store.ModelStoreException;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.UnaryOperator;

/**
 * DJL's repository of native libtorch builds, laid out as DJL 0.36's {@code LibUtils} downloads from it:
 * {@code <base>/<version>/files.txt} lists one file per line as {@code <flavor>/<classifier>/native/lib/<name>.gz}
 * (names URL-encoded), each file gzip-compressed at that path, and the JNI library uncompressed at
 * {@code <base>/<version>/jnilib/<djl version>/<classifier>/<flavor>/libdjl_torch.so}. DJL's build
 * ({@code pytorch-native/build.gradle.kts}, task {@code uploadS3}) publishes {@code cpu} and {@code cu128} for
 * 2.7.1. The index carries no sizes and no checksums.
 *
 * <p>The base is {@code https://publish.djl.ai/pytorch}, overridden by the system property
 * {@code layered.engine.repository} or the environment variable {@code LAYERED_ENGINE_REPOSITORY} (a mirror, or a
 * loopback server in tests).
 */
public final class NativeRepository {
    public static final String DEFAULT_BASE = "https://publish.djl.ai/pytorch";
    public static final String PROPERTY = "layered.engine.repository";
    public static final String ENVIRONMENT = "LAYERED_ENGINE_REPOSITORY";

    private final URI base;
    private final HttpFiles http;

    public NativeRepository(URI base, HttpFiles http) {
        String s = base.toString().replaceAll("/+$", "");
        this.base = URI.create(s);
        if (this.base.getScheme() == null || !(this.base.getScheme().equals("http")
                || this.base.getScheme().equals("https")) || this.base.getHost() == null) {
            throw new IllegalArgumentException("native repository must be an http(s) URL, got '" + base + "'");
        }
        this.http = http;
    }

    /** The base for this process: the system property, the environment, or DJL's own. */
    public static URI base(Map<String, String> env, UnaryOperator<String> properties) {
        String p = properties.apply(PROPERTY);
        if (p != null && !p.isBlank()) {
            return URI.create(p.strip());
        }
        String e = env.get(ENVIRONMENT);
        return URI.create(e != null && !e.isBlank() ? e.strip() : DEFAULT_BASE);
    }

    public URI base() {
        return base;
    }

    HttpFiles http() {
        return http;
    }

    /** {@code files.txt} of a libtorch version. */
    public Index index(String version) throws ModelStoreException {
        URI u = URI.create(base + "/" + version + "/files.txt");
        String body = http.send(u, "GET", "the libtorch " + version + " index").body();
        List<String> lines = new ArrayList<>();
        for (String l : body.split("\\R")) {
            if (!l.isBlank()) {
                lines.add(l.strip());
            }
        }
        return new Index(version, lines);
    }

    /** The URL of an index line. */
    public URI file(String version, String line) {
        return URI.create(base + "/" + version + "/" + line);
    }

    /** The URL of DJL's JNI library for a flavour. */
    public URI jni(String version, String djlVersion, String classifier, String flavor, String jniName) {
        return URI.create(base + "/" + version + "/jnilib/" + djlVersion + "/" + classifier + "/" + flavor + "/"
                + jniName);
    }

    /**
     * One version's {@code files.txt}.
     *
     * @param version the libtorch version
     * @param lines   its non-blank lines
     */
    public record Index(String version, List<String> lines) {
        public Index {
            lines = List.copyOf(lines);
        }

        /** The flavours published for a platform (those with a {@code native/lib/} folder), sorted. */
        public List<String> flavors(String classifier) {
            TreeSet<String> out = new TreeSet<>();
            for (String l : lines) {
                String[] p = l.split("/");
                if (p.length == 5 && p[1].equals(classifier) && p[2].equals("native") && p[3].equals("lib")) {
                    out.add(p[0]);
                }
            }
            return List.copyOf(out);
        }

        /** The index lines of one flavour and platform. */
        public List<String> files(String flavor, String classifier) {
            String prefix = flavor + "/" + classifier + "/native/lib/";
            return lines.stream().filter(l -> l.startsWith(prefix) && l.endsWith(".gz")
                    && l.indexOf('/', prefix.length()) < 0).toList();
        }

        /** The library a line unpacks to: the last path part, without {@code .gz}, URL-decoded (as DJL does). */
        public static String libraryName(String line) {
            String f = line.substring(line.lastIndexOf('/') + 1, line.length() - 3);
            return URLDecoder.decode(f, StandardCharsets.UTF_8);
        }
    }
}
