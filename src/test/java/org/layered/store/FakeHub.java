package org.layered.store;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An in-process imitation of the Hugging Face hub on 127.0.0.1 only, for tests that must never touch the network:
 * {@code /api/models/{repo}/revision/{rev}} (with {@code blobs=true} details), {@code /api/models/{repo}/tree/{rev}}
 * (paged with {@code Link}), {@code HEAD|GET /{repo}/resolve/{rev}/{path}} (LFS files redirect to a second server,
 * the "CDN", with {@code X-Linked-Etag}, {@code X-Linked-Size}, {@code X-Repo-Commit}), Range requests, gated
 * repositories (401/403), 404s with {@code X-Error-Code}, and injected faults: truncated transfers, corrupted
 * content, ignored ranges, slow transfers.
 */
public final class FakeHub implements AutoCloseable {
    /** One repository at one commit. */
    public static final class Repo {
        public final String id;
        public String commit;
        public final Map<String, byte[]> files = new LinkedHashMap<>();
        public final Set<String> lfs = ConcurrentHashMap.newKeySet();
        public volatile boolean gated;
        public final Set<String> grantedTokens = ConcurrentHashMap.newKeySet();

        Repo(String id, String commit) {
            this.id = id;
            this.commit = commit;
        }

        public Repo put(String path, byte[] content, boolean isLfs) {
            files.put(path, content);
            if (isLfs) {
                lfs.add(path);
            } else {
                lfs.remove(path);
            }
            return this;
        }
    }

    private final HttpServer hub;
    private final HttpServer cdn;
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fake-hub");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, Repo> repos = new ConcurrentHashMap<>();

    /** Requests seen: "HUB HEAD /path", "CDN GET /blobs/sha range=bytes=N-". */
    public final ConcurrentLinkedQueue<String> log = new ConcurrentLinkedQueue<>();
    /** Authorization headers the hub received (null entries when absent). */
    public final ConcurrentLinkedQueue<String> hubAuth = new ConcurrentLinkedQueue<>();
    /** Authorization headers the CDN received; must stay empty. */
    public final ConcurrentLinkedQueue<String> cdnAuth = new ConcurrentLinkedQueue<>();
    /** Number of next responses, per content sha256, to cut off after {@link #truncateFraction}. */
    public final Map<String, AtomicInteger> truncateNext = new ConcurrentHashMap<>();
    public volatile double truncateFraction = 0.4;
    /** Content sha256s served with one byte flipped. */
    public final Set<String> corrupt = ConcurrentHashMap.newKeySet();
    public volatile boolean ignoreRange;
    public volatile boolean listingWithBlobs = true;
    public volatile int treePageSize = 4;
    /** Number of next responses, per content sha256, that stop sending after one chunk for {@link #stallMillis}. */
    public final Map<String, AtomicInteger> stallNext = new ConcurrentHashMap<>();
    public volatile long stallMillis = 5000;
    /** Sleep per 16 KiB chunk served by the CDN. */
    public volatile long chunkDelayMillis;
    private final Map<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();
    private final AtomicInteger maxInFlightPerBlob = new AtomicInteger();

    public FakeHub() throws IOException {
        InetAddress lo = InetAddress.getLoopbackAddress();
        hub = HttpServer.create(new InetSocketAddress(lo, 0), 0);
        cdn = HttpServer.create(new InetSocketAddress(lo, 0), 0);
        hub.createContext("/", this::hub);
        cdn.createContext("/", this::cdn);
        hub.setExecutor(pool);
        cdn.setExecutor(pool);
        hub.start();
        cdn.start();
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + hub.getAddress().getPort());
    }

    private String cdnBase() {
        return "http://127.0.0.1:" + cdn.getAddress().getPort();
    }

    public Repo addRepo(String id, String commit) {
        Repo r = new Repo(id, commit);
        repos.put(id, r);
        return r;
    }

    /** Highest number of simultaneous CDN transfers of one blob seen. */
    public int maxInFlightPerBlob() {
        return maxInFlightPerBlob.get();
    }

    /** Log lines containing {@code s}. */
    public List<String> requests(String s) {
        return log.stream().filter(l -> l.contains(s)).toList();
    }

    @Override
    public void close() {
        hub.stop(0);
        cdn.stop(0);
        pool.shutdownNow();
    }

    // ---------------------------------------------------------------- content hashes

    public static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public static String gitSha1(byte[] b) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-1");
            md.update(("blob " + b.length + "\0").getBytes(StandardCharsets.US_ASCII));
            return HexFormat.of().formatHex(md.digest(b));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The git object of an LFS pointer file, as the hub lists it in {@code blobId}/{@code oid}. */
    static String pointer(byte[] b) {
        return "version https://git-lfs.github.com/spec/v1\noid sha256:" + sha256(b) + "\nsize " + b.length + "\n";
    }

    // ---------------------------------------------------------------- hub

    private static List<String> segments(HttpExchange ex) {
        List<String> out = new ArrayList<>();
        for (String s : ex.getRequestURI().getRawPath().split("/")) {
            if (!s.isEmpty()) {
                out.add(URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    private void hub(HttpExchange ex) throws IOException {
        try (ex) {
            log.add("HUB " + ex.getRequestMethod() + " " + ex.getRequestURI());
            hubAuth.add(String.valueOf(ex.getRequestHeaders().getFirst("Authorization")));
            List<String> seg = segments(ex);
            if (seg.size() >= 5 && seg.get(0).equals("api") && seg.get(1).equals("models")) {
                Repo r = repo(ex, seg.get(2) + "/" + seg.get(3));
                if (r == null) {
                    return;
                }
                String rev = String.join("/", seg.subList(5, seg.size()));
                if (!revisionOk(ex, r, rev)) {
                    return;
                }
                if (seg.get(4).equals("revision")) {
                    revision(ex, r);
                } else if (seg.get(4).equals("tree")) {
                    tree(ex, r);
                } else {
                    error(ex, 404, null, "no such API");
                }
                return;
            }
            if (seg.size() >= 5 && seg.get(2).equals("resolve")) {
                Repo r = repo(ex, seg.get(0) + "/" + seg.get(1));
                if (r == null || !revisionOk(ex, r, seg.get(3))) {
                    return;
                }
                String path = String.join("/", seg.subList(4, seg.size()));
                byte[] content = r.files.get(path);
                if (content == null) {
                    error(ex, 404, "EntryNotFound", path + " does not exist");
                    return;
                }
                ex.getResponseHeaders().set("X-Repo-Commit", r.commit);
                if (r.lfs.contains(path)) {
                    String sha = sha256(content);
                    ex.getResponseHeaders().set("ETag", "\"" + gitSha1(pointer(content).getBytes(
                            StandardCharsets.UTF_8)) + "\"");
                    ex.getResponseHeaders().set("X-Linked-Etag", "\"" + sha + "\"");
                    ex.getResponseHeaders().set("X-Linked-Size", String.valueOf(content.length));
                    ex.getResponseHeaders().set("Location", cdnBase() + "/blobs/" + sha + "?signature=x");
                    ex.sendResponseHeaders(302, -1);
                    return;
                }
                ex.getResponseHeaders().set("ETag", "\"" + gitSha1(content) + "\"");
                serve(ex, "hub:" + path, content);
                return;
            }
            error(ex, 404, null, "not found");
        } catch (IOException e) {
            // client went away
        }
    }

    private Repo repo(HttpExchange ex, String id) throws IOException {
        Repo r = repos.get(id);
        if (r == null) {
            error(ex, 404, "RepoNotFound", "Repository not found");
            return null;
        }
        if (r.gated) {
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            if (auth == null) {
                error(ex, 401, "GatedRepo", "Access to model " + id + " is restricted. You must have access to it "
                        + "and be authenticated to access it. Please log in.");
                return null;
            }
            if (!r.grantedTokens.contains(auth.replaceFirst("^Bearer ", ""))) {
                error(ex, 403, "GatedRepo", "Access to model " + id + " is restricted and you are not in the "
                        + "authorized list.");
                return null;
            }
        }
        return r;
    }

    private static boolean revisionOk(HttpExchange ex, Repo r, String rev) throws IOException {
        if (rev.equals("main") || rev.equals(r.commit)) {
            return true;
        }
        error(ex, 404, "RevisionNotFound", "Invalid rev id: " + rev);
        return false;
    }

    private static void error(HttpExchange ex, int status, String code, String message) throws IOException {
        if (code != null) {
            ex.getResponseHeaders().set("X-Error-Code", code);
        }
        ex.getResponseHeaders().set("X-Error-Message", message);
        byte[] body = ("{\"error\":\"" + message + "\"}").getBytes(StandardCharsets.UTF_8);
        if (ex.getRequestMethod().equals("HEAD")) {
            ex.sendResponseHeaders(status, -1);
            return;
        }
        ex.sendResponseHeaders(status, body.length);
        ex.getResponseBody().write(body);
    }

    private JsonObject entry(Repo r, String path, boolean tree) {
        byte[] c = r.files.get(path);
        JsonObject o = new JsonObject();
        boolean isLfs = r.lfs.contains(path);
        String oid = isLfs ? gitSha1(pointer(c).getBytes(StandardCharsets.UTF_8)) : gitSha1(c);
        if (tree) {
            o.addProperty("type", "file");
            o.addProperty("oid", oid);
            o.addProperty("size", c.length);
            o.addProperty("path", path);
        } else {
            o.addProperty("rfilename", path);
            if (listingWithBlobs) {
                o.addProperty("blobId", oid);
                o.addProperty("size", c.length);
            }
        }
        if (isLfs && (tree || listingWithBlobs)) {
            JsonObject l = new JsonObject();
            l.addProperty(tree ? "oid" : "sha256", sha256(c));
            l.addProperty("size", c.length);
            l.addProperty("pointerSize", pointer(c).length());
            o.add("lfs", l);
        }
        return o;
    }

    private void revision(HttpExchange ex, Repo r) throws IOException {
        JsonObject o = new JsonObject();
        o.addProperty("id", r.id);
        o.addProperty("sha", r.commit);
        o.addProperty("gated", r.gated);
        JsonArray sib = new JsonArray();
        for (String p : r.files.keySet()) {
            sib.add(entry(r, p, false));
        }
        o.add("siblings", sib);
        json(ex, o.toString(), null);
    }

    private void tree(HttpExchange ex, Repo r) throws IOException {
        String q = ex.getRequestURI().getRawQuery();
        int cursor = 0;
        if (q != null) {
            for (String kv : q.split("&")) {
                if (kv.startsWith("cursor=")) {
                    cursor = Integer.parseInt(kv.substring(7));
                }
            }
        }
        List<String> paths = new ArrayList<>(r.files.keySet());
        JsonArray page = new JsonArray();
        if (cursor == 0) {
            JsonObject dir = new JsonObject();
            dir.addProperty("type", "directory");
            dir.addProperty("oid", "0000000000000000000000000000000000000000");
            dir.addProperty("size", 0);
            dir.addProperty("path", "transformer");
            page.add(dir);
        }
        int end = Math.min(paths.size(), cursor + treePageSize);
        for (int i = cursor; i < end; i++) {
            page.add(entry(r, paths.get(i), true));
        }
        String next = end < paths.size() ? "<" + ex.getRequestURI().getRawPath() + "?recursive=true&cursor=" + end
                + ">; rel=\"next\"" : null;
        json(ex, page.toString(), next);
    }

    private static void json(HttpExchange ex, String body, String link) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        if (link != null) {
            ex.getResponseHeaders().set("Link", link);
        }
        ex.sendResponseHeaders(200, b.length);
        ex.getResponseBody().write(b);
    }

    // ---------------------------------------------------------------- cdn

    private void cdn(HttpExchange ex) throws IOException {
        try (ex) {
            String range = ex.getRequestHeaders().getFirst("Range");
            log.add("CDN " + ex.getRequestMethod() + " " + ex.getRequestURI().getPath() + " range=" + range);
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            if (auth != null) {
                cdnAuth.add(auth);
            }
            List<String> seg = segments(ex);
            if (seg.size() != 2 || !seg.get(0).equals("blobs")) {
                error(ex, 404, null, "no such blob");
                return;
            }
            String sha = seg.get(1);
            for (Repo r : repos.values()) {
                for (Map.Entry<String, byte[]> e : r.files.entrySet()) {
                    if (r.lfs.contains(e.getKey()) && sha256(e.getValue()).equals(sha)) {
                        AtomicInteger n = inFlight.computeIfAbsent(sha, k -> new AtomicInteger());
                        int now = n.incrementAndGet();
                        maxInFlightPerBlob.accumulateAndGet(now, Math::max);
                        try {
                            serve(ex, sha, e.getValue());
                        } finally {
                            n.decrementAndGet();
                        }
                        return;
                    }
                }
            }
            error(ex, 404, null, "no such blob");
        } catch (IOException e) {
            // client went away, or a deliberately truncated response
        }
    }

    /** Serves content with Range support and the injected faults. */
    private void serve(HttpExchange ex, String key, byte[] data) throws IOException {
        byte[] body = data;
        String sha = sha256(data);
        if (corrupt.contains(sha)) {
            body = data.clone();
            body[body.length / 2] ^= 0x5a;
        }
        long from = 0;
        String range = ex.getRequestHeaders().getFirst("Range");
        if (range != null && !ignoreRange && range.startsWith("bytes=") && range.endsWith("-")) {
            from = Long.parseLong(range.substring(6, range.length() - 1));
            if (from >= data.length) {
                ex.getResponseHeaders().set("Content-Range", "bytes */" + data.length);
                ex.sendResponseHeaders(416, -1);
                return;
            }
        }
        ex.getResponseHeaders().set("Accept-Ranges", "bytes");
        int status = 200;
        if (from > 0) {
            status = 206;
            ex.getResponseHeaders().set("Content-Range", "bytes " + from + "-" + (data.length - 1) + "/" + data.length);
        }
        if (ex.getRequestMethod().equals("HEAD")) {
            ex.getResponseHeaders().set("Content-Length", String.valueOf(data.length));
            ex.sendResponseHeaders(status, -1);
            return;
        }
        long n = data.length - from;
        AtomicInteger cut = truncateNext.get(sha);
        boolean truncate = cut != null && cut.getAndUpdate(v -> Math.max(0, v - 1)) > 0;
        long end = truncate ? from + Math.max(1, (long) (n * truncateFraction)) : data.length;
        AtomicInteger st = stallNext.get(sha);
        boolean stall = st != null && st.getAndUpdate(v -> Math.max(0, v - 1)) > 0;
        ex.sendResponseHeaders(status, n);
        OutputStream out = ex.getResponseBody();
        for (long p = from; p < end; ) {
            int len = (int) Math.min(16384, end - p);
            out.write(body, (int) p, len);
            out.flush();
            p += len;
            if (stall) {
                stall = false;
                try {
                    Thread.sleep(stallMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            if (chunkDelayMillis > 0) {
                try {
                    Thread.sleep(chunkDelayMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
        if (truncate) {
            // cut the connection mid-body: the client sees fewer bytes than Content-Length announced
            throw new IOException("truncated on purpose");
        }
    }
}
