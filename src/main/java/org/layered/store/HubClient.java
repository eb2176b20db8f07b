package org.layered.store;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

import java.io.InputStream;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The few Hugging Face hub endpoints a download needs, over {@link HttpClient}:
 * <ul>
 *   <li>{@code GET /api/models/{repo}/revision/{rev}?blobs=true}: the commit a revision points to and the file
 *       listing with sizes, git blob ids and LFS sha256; when the listing lacks sizes,
 *       {@code GET /api/models/{repo}/tree/{commit}?recursive=true} (paged through {@code Link: rel="next"});</li>
 *   <li>{@code HEAD /{repo}/resolve/{rev}/{path}}: {@code X-Repo-Commit}, {@code ETag} / {@code X-Linked-Etag},
 *       {@code X-Linked-Size}, and the download location (relative redirects are followed, an absolute redirect
 *       to the CDN is the location);</li>
 *   <li>{@code GET location} with {@code Range: bytes=N-}, following redirects.</li>
 * </ul>
 * The token is sent as {@code Authorization: Bearer} to the hub's own origin only, never to a CDN it redirects
 * to. The proxy comes from the JVM ({@link ProxySelector#getDefault()}, i.e. {@code http(s).proxyHost} etc.).
 * Errors become {@link ModelStoreException}s that say what to do (401/403 licence, 404, ...).
 */
public final class HubClient {
    private static final int MAX_REDIRECTS = HttpFiles.MAX_REDIRECTS;
    private static final Pattern LINK_NEXT = Pattern.compile("<([^>]+)>\\s*;\\s*rel=\"?next\"?");

    /** One file of a repository listing. {@code size} is -1 when unknown. */
    public record RemoteFile(String path, long size, String blobId, String lfsSha256) {
        public boolean isLfs() {
            return lfsSha256 != null;
        }

        /** The ETag the hub is expected to give: the LFS sha256, else the git blob id. */
        public String expectedEtag() {
            return lfsSha256 != null ? lfsSha256 : blobId;
        }
    }

    /** A repository's files at one commit. */
    public record Listing(String repo, String revision, String commit, List<RemoteFile> files) {
        public long totalBytes() {
            return files.stream().mapToLong(f -> Math.max(0, f.size())).sum();
        }
    }

    /**
     * What {@code HEAD resolve} says about a file.
     *
     * @param etag     the blob name: {@code X-Linked-Etag} (LFS: its sha256), else {@code ETag}
     * @param size     {@code X-Linked-Size}, else {@code Content-Length}; -1 when absent
     * @param location where to GET the content (the CDN for LFS files)
     * @param lfs      whether the hub reported it as an LFS file (an {@code X-Linked-Etag})
     */
    public record FileMetadata(String path, String commit, String etag, long size, URI location, boolean lfs) {}

    private final URI endpoint;
    private final String token;
    private final HttpFiles files;

    /**
     * @param endpoint hub base URL, e.g. https://huggingface.co (a mirror, or a loopback test server)
     * @param token    access token, or null
     * @param http     the client; {@link #newHttpClient} makes a suitable one
     * @param timeout  time allowed until response headers arrive
     */
    public HubClient(URI endpoint, String token, HttpClient http, Duration timeout) {
        String s = endpoint.toString().replaceAll("/+$", "");
        this.endpoint = URI.create(s);
        if (this.endpoint.getScheme() == null || !(this.endpoint.getScheme().equals("http")
                || this.endpoint.getScheme().equals("https")) || this.endpoint.getHost() == null) {
            throw new IllegalArgumentException("hub endpoint must be an http(s) URL, got '" + endpoint + "'");
        }
        this.token = token == null || token.isBlank() ? null : token.strip();
        this.files = new HttpFiles(Objects.requireNonNull(http), timeout,
                u -> this.token != null && sameOrigin(u) ? "Bearer " + this.token : null, this::error);
    }

    /** {@link HttpFiles#newHttpClient}. */
    public static HttpClient newHttpClient(ProxySelector proxy, Duration connectTimeout) {
        return HttpFiles.newHttpClient(proxy, connectTimeout);
    }

    public URI endpoint() {
        return endpoint;
    }

    /** Whether a token will be sent. */
    public boolean hasToken() {
        return token != null;
    }

    // ---------------------------------------------------------------- URLs

    /** Percent-encodes one path segment (RFC 3986 unreserved characters stay). */
    static String encodeSegment(String s) {
        StringBuilder b = new StringBuilder();
        for (byte by : s.getBytes(StandardCharsets.UTF_8)) {
            int c = by & 0xff;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.'
                    || c == '_' || c == '~') {
                b.append((char) c);
            } else {
                b.append('%').append(String.format(Locale.ROOT, "%02X", c));
            }
        }
        return b.toString();
    }

    private static String encodePath(String path) {
        StringBuilder b = new StringBuilder();
        for (String seg : path.split("/", -1)) {
            if (b.length() > 0) {
                b.append('/');
            }
            b.append(encodeSegment(seg));
        }
        return b.toString();
    }

    /** {@code {endpoint}/{repo}/resolve/{rev}/{path}}. */
    public URI resolveUrl(String repo, String revision, String path) {
        return URI.create(endpoint + "/" + encodePath(repo) + "/resolve/" + encodeSegment(revision) + "/"
                + encodePath(path));
    }

    // ---------------------------------------------------------------- listing

    /** The commit {@code revision} points to and the files there. */
    public Listing list(String repo, String revision) throws ModelStoreException {
        URI u = URI.create(endpoint + "/api/models/" + encodePath(repo) + "/revision/" + encodeSegment(revision)
                + "?blobs=true");
        JsonObject info = getJson(u, "repository " + repo + " at " + revision).getAsJsonObject();
        String commit = info.has("sha") && !info.get("sha").isJsonNull() ? info.get("sha").getAsString() : null;
        if (commit == null || !ModelRef.COMMIT.matcher(commit).matches()) {
            throw protocol(u, "no commit hash ('sha') in the repository info");
        }
        List<RemoteFile> files = new ArrayList<>();
        boolean sizes = true;
        if (info.has("siblings") && info.get("siblings").isJsonArray()) {
            for (JsonElement e : info.getAsJsonArray("siblings")) {
                JsonObject s = e.getAsJsonObject();
                String path = s.get("rfilename").getAsString();
                long size = s.has("size") ? s.get("size").getAsLong() : -1;
                String blobId = str(s, "blobId");
                String sha = s.has("lfs") && s.get("lfs").isJsonObject() ? str(s.getAsJsonObject("lfs"), "sha256")
                        : null;
                sizes &= size >= 0;
                files.add(new RemoteFile(checkPath(u, path), size, blobId, sha));
            }
        } else {
            sizes = false;
        }
        if (!sizes) {
            files = tree(repo, commit);
        }
        return new Listing(repo, revision, commit, List.copyOf(files));
    }

    /** The recursive tree listing at a commit, all pages. */
    public List<RemoteFile> tree(String repo, String commit) throws ModelStoreException {
        List<RemoteFile> files = new ArrayList<>();
        URI u = URI.create(endpoint + "/api/models/" + encodePath(repo) + "/tree/" + encodeSegment(commit)
                + "?recursive=true");
        for (int page = 0; u != null; page++) {
            if (page > 10_000) {
                throw protocol(u, "endless tree listing");
            }
            HttpResponse<String> r = send(u, "GET", "tree of " + repo);
            JsonElement body = parse(u, r.body());
            if (!body.isJsonArray()) {
                throw protocol(u, "tree listing is not a JSON list");
            }
            for (JsonElement e : (JsonArray) body) {
                JsonObject o = e.getAsJsonObject();
                if (!"file".equals(str(o, "type"))) {
                    continue;
                }
                String sha = o.has("lfs") && o.get("lfs").isJsonObject() ? str(o.getAsJsonObject("lfs"), "oid")
                        : null;
                if (sha == null && o.has("lfs") && o.get("lfs").isJsonObject()) {
                    sha = str(o.getAsJsonObject("lfs"), "sha256");
                }
                files.add(new RemoteFile(checkPath(u, str(o, "path")), o.has("size") ? o.get("size").getAsLong()
                        : -1, str(o, "oid"), sha));
            }
            u = nextPage(u, r.headers());
        }
        return files;
    }

    private static URI nextPage(URI current, HttpHeaders h) {
        for (String link : h.allValues("Link")) {
            Matcher m = LINK_NEXT.matcher(link);
            if (m.find()) {
                return current.resolve(m.group(1));
            }
        }
        return null;
    }

    private static String str(JsonObject o, String key) {
        return o.has(key) && !o.get(key).isJsonNull() ? o.get(key).getAsString() : null;
    }

    private String checkPath(URI u, String path) throws ModelStoreException {
        try {
            return HfCacheLayout.checkRelativePath(path);
        } catch (IllegalArgumentException e) {
            throw protocol(u, e.getMessage());
        }
    }

    private JsonElement getJson(URI u, String what) throws ModelStoreException {
        return parse(u, send(u, "GET", what).body());
    }

    private JsonElement parse(URI u, String body) throws ModelStoreException {
        try {
            return JsonParser.parseString(body);
        } catch (JsonParseException e) {
            throw protocol(u, "invalid JSON (" + e.getMessage() + ")");
        }
    }

    private HttpResponse<String> send(URI u, String method, String what) throws ModelStoreException {
        return files.send(u, method, what);
    }

    // ---------------------------------------------------------------- files

    /** {@code HEAD resolve}: the file's ETag, size, commit and download location. */
    public FileMetadata metadata(String repo, String revision, String path) throws ModelStoreException {
        URI u = resolveUrl(repo, revision, path);
        String what = repo + "/" + path;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpResponse<Void> r = files.exchange(u, "HEAD", HttpResponse.BodyHandlers.discarding(), -1);
            int sc = r.statusCode();
            HttpHeaders h = r.headers();
            Optional<String> loc = h.firstValue("Location");
            boolean relative = loc.isPresent() && !URI.create(loc.get().strip()).isAbsolute();
            if (HttpFiles.isRedirect(sc) && relative && h.firstValue("X-Linked-Etag").isEmpty()) {
                u = u.resolve(loc.get().strip()); // renamed repository and the like: same host, ask again
                continue;
            }
            if (sc / 100 != 2 && !HttpFiles.isRedirect(sc)) {
                throw error(sc, h, what, u);
            }
            String linked = HfCacheLayout.normalizeEtag(h.firstValue("X-Linked-Etag").orElse(null));
            String etag = linked != null ? linked : HfCacheLayout.normalizeEtag(h.firstValue("ETag").orElse(null));
            long size = parseLong(h.firstValue("X-Linked-Size").orElse(null));
            if (size < 0) {
                size = parseLong(h.firstValue("Content-Length").orElse(null));
            }
            String commit = h.firstValue("X-Repo-Commit").map(String::strip).orElse(null);
            URI location = HttpFiles.isRedirect(sc) && loc.isPresent() ? u.resolve(loc.get().strip()) : u;
            if (etag == null) {
                throw protocol(u, "no ETag for " + path + " (is the endpoint a Hugging Face hub?)");
            }
            return new FileMetadata(path, commit, etag, size, location, linked != null);
        }
        throw protocol(u, "too many redirects");
    }

    /** {@link HttpFiles#open}: the content from byte {@code from} on; the caller must close the body. */
    public HttpResponse<InputStream> open(URI location, long from, String what) throws ModelStoreException {
        return files.open(location, from, what);
    }

    /** The HTTP layer, with this hub's token and error messages. */
    HttpFiles files() {
        return files;
    }

    private boolean sameOrigin(URI u) {
        return Objects.equals(u.getScheme(), endpoint.getScheme())
                && Objects.equals(u.getHost() == null ? null : u.getHost().toLowerCase(Locale.ROOT),
                        endpoint.getHost().toLowerCase(Locale.ROOT))
                && port(u) == port(endpoint);
    }

    private static int port(URI u) {
        return u.getPort() >= 0 ? u.getPort() : ("https".equals(u.getScheme()) ? 443 : 80);
    }

    static String describe(Throwable e) {
        return HttpFiles.describe(e);
    }

    private static long parseLong(String s) {
        return HttpFiles.parseLong(s);
    }

    private static ModelStoreException protocol(URI u, String what) {
        return HttpFiles.protocol(u, what);
    }

    /** Maps an HTTP error to a reason and a message that says what to do. */
    ModelStoreException error(int sc, HttpHeaders h, String what, URI u) {
        String code = h.firstValue("X-Error-Code").orElse("");
        String serverMsg = h.firstValue("X-Error-Message").map(m -> " (hub: " + m.strip() + ")").orElse("");
        String page = endpoint + "/" + repoOf(what);
        String tokenHint = token == null ? "no token was sent: set HF_TOKEN or put a token in ~/.cache/huggingface/token"
                : "the token sent was refused";
        if (code.equals("GatedRepo") || (sc == 403 && code.isEmpty())) {
            return new ModelStoreException(sc == 401 ? ModelStoreException.Reason.UNAUTHORIZED
                    : ModelStoreException.Reason.ACCESS_DENIED, "access to " + what + " denied (HTTP " + sc
                    + "): the model's licence or conditions must be accepted first at " + page + "; "
                    + (sc == 401 ? tokenHint : "the token's account has not been granted access yet")
                    + serverMsg);
        }
        if (code.equals("RevisionNotFound")) {
            return new ModelStoreException(ModelStoreException.Reason.REVISION_NOT_FOUND, what
                    + ": no such revision (branch, tag or commit) on " + endpoint + serverMsg);
        }
        if (code.equals("RepoNotFound") || (sc == 404 && what.startsWith("repository"))) {
            return new ModelStoreException(ModelStoreException.Reason.REPO_NOT_FOUND, "repository " + repoOf(what)
                    + " not found on " + endpoint + " (HTTP " + sc + ")"
                    + (token == null ? "; if it is private or gated, set HF_TOKEN" : "") + serverMsg);
        }
        if (sc == 401) {
            return new ModelStoreException(ModelStoreException.Reason.UNAUTHORIZED, what + ": the hub asks for "
                    + "authentication (HTTP 401); " + tokenHint + serverMsg);
        }
        if (sc == 404 || code.equals("EntryNotFound")) {
            return new ModelStoreException(ModelStoreException.Reason.FILE_NOT_FOUND, what + ": not found on "
                    + endpoint + " (HTTP " + sc + ")" + serverMsg);
        }
        if (sc == 429 || sc >= 500) {
            return new ModelStoreException(ModelStoreException.Reason.NETWORK, what + ": the server answered HTTP "
                    + sc + (sc == 429 ? " (rate limited)" : "") + serverMsg, null, true);
        }
        return new ModelStoreException(ModelStoreException.Reason.PROTOCOL, what + ": unexpected HTTP " + sc
                + " from " + u + serverMsg);
    }

    private static String repoOf(String what) {
        String w = what.startsWith("repository ") ? what.substring("repository ".length()) : what;
        w = w.startsWith("tree of ") ? w.substring("tree of ".length()) : w;
        int sp = w.indexOf(' ');
        if (sp > 0) {
            w = w.substring(0, sp);
        }
        String[] parts = w.split("/");
        return parts.length >= 2 ? parts[0] + "/" + parts[1] : w;
    }
}
