package org.layered.store;

import java.io.IOException;
import java.io.InputStream;
import java.net.Authenticator;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * Plain HTTP for downloads over {@link HttpClient}: GET with {@code Range: bytes=N-}, HEAD, redirects followed by
 * hand (so that credentials never travel to another origin), the JVM's proxy settings, and failures turned into
 * {@link ModelStoreException}s. The hub client and the engine installer both fetch through here; what an HTTP error
 * means is theirs to say ({@link ErrorMapper}).
 */
public final class HttpFiles {
    static final int MAX_REDIRECTS = 10;
    static final String USER_AGENT = "layered/0.1 (Fiji plugin; java " + System.getProperty("java.version") + ")";

    /** Turns an HTTP error status into a failure that tells the user what to do. */
    @FunctionalInterface
    public interface ErrorMapper {
        ModelStoreException map(int status, HttpHeaders headers, String what, URI uri);
    }

    private final HttpClient http;
    private final Duration timeout;
    private final Function<URI, String> authorization;
    private final ErrorMapper errors;

    /**
     * @param http          the client; {@link #newHttpClient} makes a suitable one
     * @param timeout       time allowed until response headers arrive
     * @param authorization the {@code Authorization} header for a URI, or null for none (asked per request, so a
     *                      token can be kept to one origin)
     * @param errors        what an error status means
     */
    public HttpFiles(HttpClient http, Duration timeout, Function<URI, String> authorization, ErrorMapper errors) {
        this.http = Objects.requireNonNull(http);
        this.timeout = timeout;
        this.authorization = authorization;
        this.errors = errors;
    }

    /** Anonymous requests through the JVM's proxy settings, with {@link #genericError} messages. */
    public static HttpFiles anonymous(Duration connectTimeout, Duration timeout) {
        return new HttpFiles(newHttpClient(null, connectTimeout), timeout, u -> null, HttpFiles::genericError);
    }

    /**
     * An HTTP/1.1 client (one connection per parallel download) that never follows redirects itself, using the
     * JVM's proxy settings and authenticator when {@code proxy} is null.
     */
    public static HttpClient newHttpClient(ProxySelector proxy, Duration connectTimeout) {
        HttpClient.Builder b = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(connectTimeout)
                .proxy(proxy != null ? proxy : ProxySelector.getDefault());
        Authenticator auth = Authenticator.getDefault();
        if (auth != null) {
            b.authenticator(auth);
        }
        return b.build();
    }

    /**
     * GETs {@code location} from byte {@code from} on ({@code Range: bytes=from-} when from &gt; 0), following
     * redirects. The status is 200 (whole file: the server ignored the range), 206 or 416; other statuses throw.
     * The caller must close the body.
     */
    public HttpResponse<InputStream> open(URI location, long from, String what) throws ModelStoreException {
        URI u = location;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpResponse<InputStream> r = exchange(u, "GET", HttpResponse.BodyHandlers.ofInputStream(), from);
            int sc = r.statusCode();
            if (isRedirect(sc)) {
                close(r);
                u = redirectTarget(u, r.headers());
                continue;
            }
            if (sc == 200 || sc == 206 || sc == 416) {
                return r;
            }
            close(r);
            throw errors.map(sc, r.headers(), what, u);
        }
        throw protocol(u, "too many redirects");
    }

    /** GET or HEAD, following redirects; returns a 2xx response, throws for anything else. */
    public HttpResponse<String> send(URI u, String method, String what) throws ModelStoreException {
        for (int hop = 0; ; hop++) {
            HttpResponse<String> r = exchange(u, method, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8),
                    -1);
            int sc = r.statusCode();
            if (isRedirect(sc) && hop < MAX_REDIRECTS) {
                u = redirectTarget(u, r.headers());
                continue;
            }
            if (sc / 100 == 2) {
                return r;
            }
            throw errors.map(sc, r.headers(), what, u);
        }
    }

    /**
     * The last bytes of a file, from byte {@code from} on, when the server honours the range (null when it does
     * not, or when they do not arrive within {@code timeout}): a small read that can neither hang nor pull a whole
     * file.
     */
    public byte[] tail(URI location, long from, String what, Duration timeout) throws ModelStoreException {
        URI u = location;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpRequest.Builder b = request(u, "GET", from);
            CompletableFuture<HttpResponse<byte[]>> f = http.sendAsync(b.build(), info -> info.statusCode() == 206
                    ? HttpResponse.BodySubscribers.ofByteArray() : new Refusing());
            HttpResponse<byte[]> r;
            try {
                r = f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                f.cancel(true);
                Thread.currentThread().interrupt();
                throw new ModelStoreException(ModelStoreException.Reason.CANCELLED, "interrupted while reading "
                        + what);
            } catch (ExecutionException | TimeoutException e) {
                f.cancel(true);
                return null;
            }
            if (isRedirect(r.statusCode())) {
                u = redirectTarget(u, r.headers());
                continue;
            }
            if (r.statusCode() / 100 != 2 && r.statusCode() != 416) {
                throw errors.map(r.statusCode(), r.headers(), what, u);
            }
            return r.statusCode() == 206 ? r.body() : null;
        }
        throw protocol(u, "too many redirects");
    }

    /** Takes no body: the subscription is cancelled at once (the connection is dropped, nothing is read). */
    private static final class Refusing implements HttpResponse.BodySubscriber<byte[]> {
        private final CompletableFuture<byte[]> body = new CompletableFuture<>();

        @Override
        public CompletionStage<byte[]> getBody() {
            return body;
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            subscription.cancel();
            body.complete(null);
        }

        @Override
        public void onNext(List<ByteBuffer> item) {
        }

        @Override
        public void onError(Throwable throwable) {
            body.complete(null);
        }

        @Override
        public void onComplete() {
            body.complete(null);
        }
    }

    /** The size a HEAD request announces ({@code Content-Length} after redirects); -1 when absent. */
    public long size(URI u, String what) throws ModelStoreException {
        return parseLong(send(u, "HEAD", what).headers().firstValue("Content-Length").orElse(null));
    }

    /** One request, no redirect handling. {@code from} &gt; 0 adds a range. */
    <T> HttpResponse<T> exchange(URI u, String method, HttpResponse.BodyHandler<T> handler, long from)
            throws ModelStoreException {
        HttpRequest.Builder b = request(u, method, from);
        try {
            return http.send(b.build(), handler);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ModelStoreException(ModelStoreException.Reason.CANCELLED, "interrupted while contacting "
                    + u.getHost());
        } catch (IOException e) {
            throw new ModelStoreException(ModelStoreException.Reason.NETWORK, "cannot reach " + u.getScheme() + "://"
                    + u.getAuthority() + " (" + describe(e) + "); check the network or the JVM proxy settings "
                    + "(-Dhttps.proxyHost/-Dhttps.proxyPort)", e, true);
        }
    }

    private HttpRequest.Builder request(URI u, String method, long from) {
        HttpRequest.Builder b = HttpRequest.newBuilder(u).timeout(timeout).header("User-Agent", USER_AGENT);
        if (method.equals("HEAD")) {
            b.method("HEAD", HttpRequest.BodyPublishers.noBody());
            b.header("Accept-Encoding", "identity");
        } else {
            b.GET();
        }
        if (from > 0) {
            b.header("Range", "bytes=" + from + "-");
        }
        String auth = authorization.apply(u);
        if (auth != null) {
            b.header("Authorization", auth);
        }
        return b;
    }

    static boolean isRedirect(int sc) {
        return sc == 301 || sc == 302 || sc == 303 || sc == 307 || sc == 308;
    }

    static URI redirectTarget(URI u, HttpHeaders h) throws ModelStoreException {
        String loc = h.firstValue("Location").orElseThrow(() -> protocol(u, "redirect without Location"));
        try {
            return u.resolve(loc.strip());
        } catch (IllegalArgumentException e) {
            throw protocol(u, "bad redirect Location '" + loc + "'");
        }
    }

    private static void close(HttpResponse<InputStream> r) {
        try {
            r.body().close();
        } catch (IOException e) {
            // nothing to release beyond the connection
        }
    }

    static ModelStoreException protocol(URI u, String what) {
        return new ModelStoreException(ModelStoreException.Reason.PROTOCOL, u + ": " + what);
    }

    static long parseLong(String s) {
        if (s == null) {
            return -1;
        }
        try {
            return Long.parseLong(s.strip());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** An exception's class and message on one line. */
    public static String describe(Throwable e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null || m.isBlank() ? "" : ": " + m.replace('\n', ' '));
    }

    /** Errors of a plain file server: 404 (and S3's 403 for a missing key) is "not found", 5xx and 429 retryable. */
    public static ModelStoreException genericError(int sc, HttpHeaders h, String what, URI u) {
        if (sc == 404 || sc == 403 || sc == 410) {
            return new ModelStoreException(ModelStoreException.Reason.FILE_NOT_FOUND, what + ": not found at " + u
                    + " (HTTP " + sc + ")");
        }
        if (sc == 429 || sc >= 500) {
            return new ModelStoreException(ModelStoreException.Reason.NETWORK, what + ": the server answered HTTP "
                    + sc + (sc == 429 ? " (rate limited)" : ""), null, true);
        }
        return new ModelStoreException(ModelStoreException.Reason.PROTOCOL, what + ": unexpected HTTP " + sc
                + " from " + u);
    }
}
