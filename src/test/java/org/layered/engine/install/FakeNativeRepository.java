package org.layered.engine.install;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/**
 * A loopback imitation of DJL's native repository (publish.djl.ai/pytorch): serves a folder laid out as
 * {@code <version>/files.txt}, {@code <version>/<flavor>/<classifier>/native/lib/<name>.gz} and
 * {@code <version>/jnilib/...}, with HEAD, {@code Range: bytes=N-} and injected faults (transfers cut off after a
 * fraction). Nothing leaves 127.0.0.1.
 */
public final class FakeNativeRepository implements AutoCloseable {
    private final Path root;
    private final HttpServer server;
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fake-native-repository");
        t.setDaemon(true);
        return t;
    });
    /** Requests seen: {@code GET /2.7.1/files.txt range=bytes=N-}. */
    public final ConcurrentLinkedQueue<String> log = new ConcurrentLinkedQueue<>();
    /** Per path suffix: how many next downloads to cut off after {@link #cutFraction} of the body. */
    public final Map<String, AtomicInteger> cutNext = new ConcurrentHashMap<>();
    public volatile double cutFraction = 0.4;

    public FakeNativeRepository(Path root) throws IOException {
        this.root = root;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::serve);
        server.setExecutor(pool);
        server.start();
    }

    public URI base() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/pytorch");
    }

    /** GET requests whose path contains {@code s}. */
    public List<String> gets(String s) {
        return log.stream().filter(l -> l.startsWith("GET") && l.contains(s)).toList();
    }

    /**
     * Publishes {@code libraries} (name to a stream opener) as one flavour, gzip-compressed at {@code level} the
     * way DJL's build does ({@code gzip} on every file), and rewrites {@code files.txt} with every flavour there.
     */
    public void publish(String version, String flavor, String classifier, Map<String, Opener> libraries, int level)
            throws IOException {
        Path dir = Files.createDirectories(root.resolve(version).resolve(flavor).resolve(classifier)
                .resolve("native/lib"));
        for (Map.Entry<String, Opener> e : libraries.entrySet()) {
            try (InputStream in = e.getValue().open();
                    OutputStream out = new LevelGzip(Files.newOutputStream(dir.resolve(e.getKey() + ".gz")), level)) {
                in.transferTo(out);
            }
        }
        List<String> lines = new ArrayList<>();
        Path v = root.resolve(version);
        try (var walk = Files.walk(v)) {
            for (Path p : walk.filter(Files::isRegularFile).sorted().toList()) {
                String rel = v.relativize(p).toString().replace('\\', '/');
                if (rel.endsWith(".gz") && rel.contains("/native/lib/")) {
                    lines.add(rel);
                }
            }
        }
        Files.writeString(v.resolve("files.txt"), String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
    }

    /** Publishes random stand-ins (a few KiB each) for {@code libraries} as a flavour; their bytes by name. */
    public Map<String, byte[]> publishRandom(String version, String flavor, String classifier, String... libraries)
            throws IOException {
        Map<String, byte[]> bytes = new LinkedHashMap<>();
        Map<String, Opener> openers = new LinkedHashMap<>();
        Random r = new Random(flavor.hashCode());
        for (String l : libraries) {
            byte[] b = new byte[3000 + r.nextInt(5000)];
            r.nextBytes(b);
            bytes.put(l, b);
            openers.put(l, () -> new ByteArrayInputStream(b));
        }
        publish(version, flavor, classifier, openers, Deflater.BEST_SPEED);
        return bytes;
    }

    /** Publishes DJL's JNI library of a flavour, uncompressed, where DJL downloads it from. */
    public Path publishJni(String version, String djlVersion, String classifier, String flavor, String name,
            byte[] content) throws IOException {
        Path p = Files.createDirectories(root.resolve(version).resolve("jnilib").resolve(djlVersion)
                .resolve(classifier).resolve(flavor));
        return Files.write(p.resolve(name), content);
    }

    /** {@code size} bytes that start like an ELF shared library (what a JNI library must look like on Linux). */
    public static byte[] elf(int size) {
        byte[] b = new byte[size];
        b[0] = 0x7f;
        b[1] = 'E';
        b[2] = 'L';
        b[3] = 'F';
        return b;
    }

    /** The published file of a flavour. */
    public Path file(String version, String flavor, String classifier, String name) {
        return root.resolve(version).resolve(flavor).resolve(classifier).resolve("native/lib").resolve(name + ".gz");
    }

    /** Opens a library's bytes. */
    public interface Opener {
        InputStream open() throws IOException;
    }

    /** A transfer cut off on purpose. */
    private static final class CutOff extends IOException {
        CutOff() {
            super("cut off on purpose");
        }
    }

    private static final class LevelGzip extends GZIPOutputStream {
        LevelGzip(OutputStream out, int level) throws IOException {
            super(out, 1 << 16);
            def.setLevel(level);
        }
    }

    private void serve(HttpExchange ex) throws IOException {
        try (ex) {
            String range = ex.getRequestHeaders().getFirst("Range");
            String path = ex.getRequestURI().getPath();
            log.add(ex.getRequestMethod() + " " + path + (range == null ? "" : " range=" + range));
            Path f = path.startsWith("/pytorch/") ? root.resolve(path.substring("/pytorch/".length())).normalize()
                    : null;
            if (f == null || !f.startsWith(root) || !Files.isRegularFile(f)) {
                // S3 behind CloudFront answers 403 for a key that does not exist
                ex.sendResponseHeaders(403, -1);
                return;
            }
            long size = Files.size(f);
            long from = 0;
            if (range != null && range.startsWith("bytes=") && range.endsWith("-")) {
                from = Long.parseLong(range.substring(6, range.length() - 1));
            }
            if (from >= size && size > 0) {
                ex.getResponseHeaders().add("Content-Range", "bytes */" + size);
                ex.sendResponseHeaders(416, -1);
                return;
            }
            long length = size - from;
            if (from > 0) {
                ex.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (size - 1) + "/" + size);
            }
            if (ex.getRequestMethod().equals("HEAD")) {
                ex.getResponseHeaders().add("Content-Length", String.valueOf(length));
                ex.sendResponseHeaders(from > 0 ? 206 : 200, -1);
                return;
            }
            long send = length;
            for (Map.Entry<String, AtomicInteger> c : cutNext.entrySet()) {
                // small reads (the 4-byte gzip length probe) are never cut: only downloads are
                if (length > 1024 && path.endsWith(c.getKey()) && c.getValue().getAndDecrement() > 0) {
                    send = (long) (length * cutFraction);
                }
            }
            ex.sendResponseHeaders(from > 0 ? 206 : 200, length);
            try (FileChannel ch = FileChannel.open(f); OutputStream out = ex.getResponseBody()) {
                ch.position(from);
                InputStream in = Channels.newInputStream(ch);
                byte[] buf = new byte[1 << 20];
                long left = send;
                while (left > 0) {
                    int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                    if (n < 0) {
                        break;
                    }
                    out.write(buf, 0, n);
                    left -= n;
                }
                if (send < length) {
                    out.flush();
                    throw new CutOff();
                }
            }
        } catch (CutOff e) {
            throw e; // out of the handler: the server drops the connection, the client sees a short body at once
        } catch (IOException e) {
            // a client that went away
        }
    }

    @Override
    public void close() {
        server.stop(0);
        pool.shutdownNow();
    }
}
