package org.layered.store;

import java.io.IOException;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.ToLongFunction;

/**
 * The model store: the one service front ends (command line, Fiji commands) use to find and download models.
 *
 * <pre>
 * ModelStore store = ModelStore.defaults();
 * try {
 *     ResolvedModel m = store.resolve("Qwen/Qwen-Image-Layered").requireComplete();
 *     ... load m.root() ...
 * } catch (ModelNotFoundException e) {
 *     // "model not found — download it (" + Sizes.si(e.downloadBytes().getAsLong()) + ")?"
 *     store.fetch(e.ref().toString(), progressListener, cancelFlag::get);
 * }
 * </pre>
 *
 * <p>Resolution ({@link #resolve}) never touches the network and never writes: an explicit folder; then the
 * caches given in the {@link Config} ({@code --cache}); a models folder ({@code Fiji.app/models/}, plain model
 * folders); the Hugging Face hub cache ({@code HF_HUB_CACHE}, {@code HF_HOME/hub}, {@code ~/.cache/huggingface/hub}),
 * so that a checkpoint fetched by Python tools is used as it is; then the plugin's own cache. Downloads happen only
 * in {@link #fetch}, into {@link #downloadDestination()}: the HF cache layout, or a plain folder in a models
 * folder.
 *
 * <p>Thread-safe; a store holds no open resources.
 */
public final class ModelStore {
    /**
     * Settings. {@link #fromEnvironment()} reads the usual Hugging Face variables; setters return the config for
     * chaining. Nothing is read from disk or the network until the store is used.
     */
    public static final class Config {
        private Map<String, String> env = Map.of();
        private Path userHome = Path.of(System.getProperty("user.home", "."));
        private final List<Path> caches = new ArrayList<>();
        private Path modelsFolder;
        private ResolvedModel.Source downloadTo;
        private Path hubCache;
        private Path pluginCache;
        private Path downloadCache;
        private URI endpoint;
        private String token;
        private boolean tokenSet;
        private ProxySelector proxy;
        private HttpClient httpClient;
        private int parallelDownloads = 4;
        private int maxRetries = 5;
        private Duration retryBackoff = Duration.ofSeconds(2);
        private Duration stallTimeout = Duration.ofSeconds(60);
        private Duration requestTimeout = Duration.ofSeconds(60);
        private Duration connectTimeout = Duration.ofSeconds(30);
        private Duration progressInterval = Duration.ofMillis(250);
        private long diskMarginBytes = 256L << 20;
        private ToLongFunction<Path> usableSpace = ModelStore::usableSpace;
        private List<ModelDescriptor> descriptors;

        /** An empty environment: no HF variables, home from {@code user.home}. Mostly for tests. */
        public Config() {
        }

        /** The process environment ({@code HF_HOME}, {@code HF_HUB_CACHE}, {@code HF_TOKEN}, ...). */
        public static Config fromEnvironment() {
            return new Config().env(System.getenv());
        }

        /** Environment variables to read instead of the process's. */
        public Config env(Map<String, String> e) {
            this.env = Map.copyOf(e);
            return this;
        }

        public Config userHome(Path home) {
            this.userHome = home;
            return this;
        }

        /** A cache folder (HF hub layout) searched before the HF cache; the first one also receives downloads. */
        public Config addCache(Path cache) {
            caches.add(cache);
            return this;
        }

        /**
         * A models folder ({@code Fiji.app/models/}: one plain folder per model, named after the repository),
         * searched after the given caches and before the Hugging Face cache, and a download destination.
         */
        public Config modelsFolder(Path dir) {
            this.modelsFolder = dir;
            return this;
        }

        /**
         * Where {@link #fetch} writes, by role: {@code MODELS_FOLDER}, {@code HF_CACHE} or {@code PLUGIN_CACHE}
         * (null: the default, see {@link ModelStore#downloadDestination()}).
         */
        public Config downloadTo(ResolvedModel.Source destination) {
            this.downloadTo = destination;
            return this;
        }

        /** The Hugging Face hub cache; default from the environment. */
        public Config hubCache(Path dir) {
            this.hubCache = dir;
            return this;
        }

        /**
         * The plugin's own cache (HF hub layout), searched last and used for downloads when the HF cache cannot
         * be written. Default: system property {@code layered.cache}, environment {@code LAYERED_CACHE}, else
         * {@code ~/.cache/layered/hub}.
         */
        public Config pluginCache(Path dir) {
            this.pluginCache = dir;
            return this;
        }

        /** Where {@link #fetch} writes, as an HF-layout cache; see {@link ModelStore#downloadDestination()}. */
        public Config downloadCache(Path dir) {
            this.downloadCache = dir;
            return this;
        }

        /** Hub base URL; default {@code HF_ENDPOINT} or https://huggingface.co. */
        public Config endpoint(URI uri) {
            this.endpoint = uri;
            return this;
        }

        /** The access token (null: none); default {@code HF_TOKEN} or the HF token file. */
        public Config token(String t) {
            this.token = t;
            this.tokenSet = true;
            return this;
        }

        /** Proxy selection; default the JVM's ({@code http(s).proxyHost}, {@code java.net.useSystemProxies}). */
        public Config proxy(ProxySelector p) {
            this.proxy = p;
            return this;
        }

        /** A ready HTTP client (it must not follow redirects itself); overrides {@link #proxy}. */
        public Config httpClient(HttpClient c) {
            this.httpClient = c;
            return this;
        }

        /** Files downloaded at the same time (1-16, default 4). */
        public Config parallelDownloads(int n) {
            if (n < 1 || n > 16) {
                throw new IllegalArgumentException("parallel downloads must be 1-16, got " + n);
            }
            this.parallelDownloads = n;
            return this;
        }

        /** Retries of a failed transfer or request within one fetch (default 5). */
        public Config maxRetries(int n) {
            this.maxRetries = Math.max(0, n);
            return this;
        }

        /** First wait before a retry, doubled each time up to 30 s (default 2 s). */
        public Config retryBackoff(Duration d) {
            this.retryBackoff = d;
            return this;
        }

        /** A transfer that delivers nothing for this long is aborted and resumed (default 60 s). */
        public Config stallTimeout(Duration d) {
            this.stallTimeout = d;
            return this;
        }

        /** Time allowed until response headers arrive (default 60 s). */
        public Config requestTimeout(Duration d) {
            this.requestTimeout = d;
            return this;
        }

        /** Minimum time between two progress calls (default 250 ms). */
        public Config progressInterval(Duration d) {
            this.progressInterval = d;
            return this;
        }

        /** Free space kept beyond the download's size (default 256 MiB). */
        public Config diskMarginBytes(long n) {
            this.diskMarginBytes = Math.max(0, n);
            return this;
        }

        /** How free space is measured (tests simulate a full disk with it). */
        public Config usableSpace(ToLongFunction<Path> f) {
            this.usableSpace = Objects.requireNonNull(f);
            return this;
        }

        /** The supported models; default the built-in descriptors. */
        public Config descriptors(List<ModelDescriptor> d) {
            this.descriptors = List.copyOf(d);
            return this;
        }
    }

    private static final java.util.Set<String> TRUE_VALUES = java.util.Set.of("1", "true", "yes", "on");

    /** A place models are found in and can be downloaded to: its role and folder. */
    public record Destination(ResolvedModel.Source source, Path root) {
        /** "Hugging Face cache (/home/me/.cache/huggingface/hub)". */
        @Override
        public String toString() {
            return label(source) + " (" + root + ")";
        }

        /** A role as people say it. */
        public static String label(ResolvedModel.Source s) {
            return switch (s) {
                case MODELS_FOLDER -> "models folder";
                case HF_CACHE -> "Hugging Face cache";
                case PLUGIN_CACHE -> "plugin cache";
                case GIVEN_CACHE -> "given cache";
                case FOLDER -> "folder";
            };
        }
    }

    /** What a fetch did. */
    public record FetchResult(ResolvedModel model, FetchPlan plan, int filesDownloaded, int filesReused,
            long bytesTransferred, Duration elapsed) {}

    private final Config cfg;
    private final Path hubCache;
    private final Path pluginCache;
    private final List<ModelDescriptor> descriptors;
    private final ModelResolver resolver;

    public ModelStore(Config config) {
        this.cfg = config;
        this.hubCache = config.hubCache != null ? config.hubCache
                : HfCacheLayout.defaultHubCache(config.env, config.userHome);
        this.pluginCache = config.pluginCache != null ? config.pluginCache : defaultPluginCache(config);
        this.descriptors = config.descriptors != null ? config.descriptors : ModelDescriptor.builtins();
        List<ModelResolver.Location> locs = new ArrayList<>();
        for (Path c : config.caches) {
            locs.add(new ModelResolver.Location(c, ResolvedModel.Source.GIVEN_CACHE));
        }
        if (config.modelsFolder != null) {
            locs.add(new ModelResolver.Location(config.modelsFolder, ResolvedModel.Source.MODELS_FOLDER));
        }
        locs.add(new ModelResolver.Location(hubCache, ResolvedModel.Source.HF_CACHE));
        locs.add(new ModelResolver.Location(pluginCache, ResolvedModel.Source.PLUGIN_CACHE));
        this.resolver = new ModelResolver(locs, descriptors);
    }

    /** A store configured from the process environment and system properties. */
    public static ModelStore defaults() {
        return new ModelStore(Config.fromEnvironment());
    }

    private static Path defaultPluginCache(Config c) {
        String p = System.getProperty("layered.cache");
        if (p == null || p.isBlank()) {
            p = c.env.get("LAYERED_CACHE");
        }
        if (p != null && !p.isBlank()) {
            return Path.of(p.strip());
        }
        return c.userHome.resolve(".cache").resolve("layered").resolve("hub");
    }

    // ---------------------------------------------------------------- queries (offline)

    public List<ModelDescriptor> descriptors() {
        return descriptors;
    }

    /** The descriptor of a repository id or short id. */
    public Optional<ModelDescriptor> descriptor(String repoOrId) {
        return ModelDescriptor.find(descriptors, repoOrId);
    }

    /** The default model's reference ({@code Qwen/Qwen-Image-Layered}). */
    public String defaultModel() {
        return descriptors.get(0).repo();
    }

    public ModelResolver resolver() {
        return resolver;
    }

    /** The Hugging Face hub cache folder in use. */
    public Path hubCache() {
        return hubCache;
    }

    /** The plugin's own cache folder. */
    public Path pluginCache() {
        return pluginCache;
    }

    /** The cache folders searched, in order. */
    public List<Path> searchedCaches() {
        return resolver.caches().stream().map(ModelResolver.Location::root).toList();
    }

    /**
     * Finds a model locally (folder, given caches, HF cache, plugin cache). Never uses the network, never writes.
     * An incomplete download is returned flagged ({@link ResolvedModel#isComplete()}); see
     * {@link ResolvedModel#requireComplete()}.
     *
     * @throws ModelNotFoundException with the download size and command when there is no local copy
     */
    public ResolvedModel resolve(String ref) throws ModelStoreException {
        return resolver.resolve(ref);
    }

    /** Like {@link #resolve} but empty when there is no local copy. */
    public Optional<ResolvedModel> find(String ref) throws ModelStoreException {
        return resolver.find(ref);
    }

    /** Recomputes the hashes of a resolved model's files (see {@link ModelVerifier}). */
    public ModelVerifier.Report verify(ResolvedModel m, DownloadProgress progress, BooleanSupplier cancel)
            throws ModelStoreException {
        return ModelVerifier.verify(m.root(), progress, cancel);
    }

    /** The folder {@link #fetch} writes into (see {@link #downloadDestination()}). */
    public Path downloadCache() {
        return downloadDestination().root();
    }

    /**
     * The places a model can be downloaded to, in search order: the given caches, the models folder, the Hugging
     * Face cache, the plugin's cache.
     */
    public List<Destination> destinations() {
        return resolver.caches().stream().map(l -> new Destination(l.source(), l.root())).toList();
    }

    /**
     * Where {@link #fetch} writes: the configured destination ({@link Config#downloadCache},
     * {@link Config#downloadTo}), else the first given cache, else the Hugging Face cache when it exists (so that
     * Python tools share one copy), else the models folder, else the Hugging Face cache when it can be created,
     * else the plugin's cache. A destination that cannot be written to is taken all the same: the fetch then fails
     * with the reason.
     */
    public Destination downloadDestination() {
        if (cfg.downloadCache != null) {
            return new Destination(ResolvedModel.Source.GIVEN_CACHE, cfg.downloadCache);
        }
        if (cfg.downloadTo != null) {
            return destinations().stream().filter(d -> d.source() == cfg.downloadTo).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("no " + Destination.label(cfg.downloadTo)
                            + " is configured to download into"));
        }
        if (!cfg.caches.isEmpty()) {
            return new Destination(ResolvedModel.Source.GIVEN_CACHE, cfg.caches.get(0));
        }
        if (Files.isDirectory(hubCache) && writable(hubCache)) {
            return new Destination(ResolvedModel.Source.HF_CACHE, hubCache);
        }
        if (cfg.modelsFolder != null && writable(cfg.modelsFolder)) {
            return new Destination(ResolvedModel.Source.MODELS_FOLDER, cfg.modelsFolder);
        }
        return writable(hubCache) ? new Destination(ResolvedModel.Source.HF_CACHE, hubCache)
                : new Destination(ResolvedModel.Source.PLUGIN_CACHE, pluginCache);
    }

    /** Free bytes where {@code d} is (on the nearest existing folder's file system), -1 when unknown. */
    public long usableBytes(Destination d) {
        return cfg.usableSpace.applyAsLong(d.root());
    }

    private static StoreLayout layout(Destination d) {
        return d.source() == ResolvedModel.Source.MODELS_FOLDER ? new ModelFolderLayout(d.root())
                : new HfCacheLayout(d.root());
    }

    private static boolean writable(Path dir) {
        Path p = dir.toAbsolutePath();
        while (p != null && !Files.exists(p)) {
            p = p.getParent();
        }
        return p != null && Files.isDirectory(p) && Files.isWritable(p);
    }

    static long usableSpace(Path dir) {
        Path p = dir.toAbsolutePath();
        while (p != null && !Files.exists(p)) {
            p = p.getParent();
        }
        if (p == null) {
            return -1;
        }
        try {
            return Files.getFileStore(p).getUsableSpace();
        } catch (IOException e) {
            return -1;
        }
    }

    // ---------------------------------------------------------------- network

    private HubClient hub() {
        URI endpoint = cfg.endpoint != null ? cfg.endpoint : URI.create(HfCacheLayout.endpoint(cfg.env));
        String token = cfg.tokenSet ? cfg.token : HfCacheLayout.token(cfg.env, cfg.userHome).orElse(null);
        HttpClient http = cfg.httpClient != null ? cfg.httpClient
                : HubClient.newHttpClient(cfg.proxy, cfg.connectTimeout);
        return new HubClient(endpoint, token, http, cfg.requestTimeout);
    }

    private ModelRef downloadable(String ref) throws ModelStoreException {
        ModelRef r;
        try {
            r = ModelRef.parse(ref);
        } catch (IllegalArgumentException e) {
            throw new ModelStoreException(ModelStoreException.Reason.NOT_DOWNLOADABLE, e.getMessage());
        }
        if (!r.isRepo()) {
            throw new ModelStoreException(ModelStoreException.Reason.NOT_DOWNLOADABLE, "'" + ref + "' is a folder, "
                    + "not a repository id (owner/name): nothing to download");
        }
        r = resolver.canonical(r);
        String offline = cfg.env.getOrDefault("HF_HUB_OFFLINE", "");
        if (TRUE_VALUES.contains(offline.strip().toLowerCase(Locale.ROOT))) {
            throw new ModelStoreException(ModelStoreException.Reason.NOT_DOWNLOADABLE, "downloads are switched off "
                    + "(HF_HUB_OFFLINE=" + offline + ")");
        }
        return r;
    }

    /**
     * Asks the hub what a fetch would download (one listing request; nothing is written).
     *
     * @throws ModelStoreException for 401/403/404 and network failures, with a message that says what to do
     */
    public FetchPlan plan(String ref) throws ModelStoreException {
        return plan(downloadable(ref), hub(), layout(downloadDestination()), new ProgressTracker(null, 0));
    }

    private FetchPlan plan(ModelRef r, HubClient hub, StoreLayout layout, ProgressTracker t)
            throws ModelStoreException {
        ModelDescriptor d = ModelDescriptor.find(descriptors, r.repo()).orElse(null);
        String rev = resolver.revisionOf(r);
        HubClient.Listing listing = retrying(() -> hub.list(r.repo(), rev), t);
        List<String> warnings = new ArrayList<>();
        List<FetchPlan.PlannedFile> files = new ArrayList<>();
        for (HubClient.RemoteFile f : listing.files()) {
            if (d != null && !d.allows(f.path())) {
                continue;
            }
            String etag = f.expectedEtag();
            boolean present = layout.hasFile(r.repo(), listing.commit(), f.path(), etag);
            boolean cached = false;
            long partial = 0;
            if (!present && etag != null) {
                try {
                    cached = layout.hasContent(r.repo(), f.path(), etag, f.size());
                    Path inc = layout.incomplete(r.repo(), f.path(), etag);
                    partial = Files.isRegularFile(inc) ? Math.min(Files.size(inc), Math.max(0, f.size())) : 0;
                } catch (IOException | IllegalArgumentException e) {
                    // an odd id: the downloader uses the hub's ETag anyway
                }
            }
            files.add(new FetchPlan.PlannedFile(f, present, cached, partial));
        }
        if (files.isEmpty()) {
            throw new ModelStoreException(ModelStoreException.Reason.FILE_NOT_FOUND, r.repo() + "@" + rev
                    + ": the repository lists no model files" + (d != null ? " matching " + d.allowPatterns() : ""));
        }
        if (d != null) {
            for (ModelDescriptor.Component c : d.components()) {
                if (files.stream().noneMatch(f -> f.file().path().startsWith(c.folder() + "/"))) {
                    warnings.add("the repository has no " + c.folder() + "/ folder (component " + c.name()
                            + (c.required() ? ", required" : ", optional") + ")");
                }
            }
        }
        return new FetchPlan(r.repo(), rev, listing.commit(), layout.root(), files,
                cfg.usableSpace.applyAsLong(layout.root()), d, warnings);
    }

    private interface Call<T> {
        T call() throws ModelStoreException;
    }

    private <T> T retrying(Call<T> c, ProgressTracker t) throws ModelStoreException {
        for (int failures = 0; ; ) {
            try {
                return c.call();
            } catch (ModelStoreException e) {
                if (!e.isRetryable() || ++failures > cfg.maxRetries) {
                    throw e;
                }
                t.message(e.getMessage() + "; retrying (" + failures + "/" + cfg.maxRetries + ")");
                try {
                    Thread.sleep(Math.min(30_000, cfg.retryBackoff.toMillis() << Math.min(10, failures - 1)));
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new ModelStoreException(ModelStoreException.Reason.CANCELLED, "interrupted");
                }
            }
        }
    }

    /**
     * Downloads a model (a repository reference, e.g. {@code Qwen/Qwen-Image-Layered} or {@code ...@<commit>})
     * into {@link #downloadCache()} in the HF cache layout: listing, free-space check, parallel resumable
     * downloads, checksum verification, then {@code refs/<revision>}. Files already there are not downloaded
     * again; an interrupted fetch resumes where it stopped.
     *
     * @param progress listener (may be null)
     * @param cancel   polled often; when it returns true the fetch stops, keeping partial files for resuming
     * @return the downloaded model, resolved from the cache
     * @throws ModelStoreException with a {@link ModelStoreException.Reason} (401/403 licence, 404, disk full,
     *                             checksum mismatch, network, cancelled)
     */
    public FetchResult fetch(String ref, DownloadProgress progress, BooleanSupplier cancel)
            throws ModelStoreException {
        long t0 = System.nanoTime();
        BooleanSupplier stop = cancel == null ? () -> false : cancel;
        ModelRef r = downloadable(ref);
        Destination destination = downloadDestination();
        Path root = destination.root();
        StoreLayout layout = layout(destination);
        ProgressTracker t = new ProgressTracker(progress, cfg.progressInterval.toNanos());
        t.start(DownloadProgress.Phase.LISTING, -1, 0, 0, 0);
        HubClient hub = hub();
        FetchPlan plan = plan(r, hub, layout, t);
        t.planned(plan);
        for (String w : plan.warnings()) {
            t.message("warning: " + w);
        }
        if (stop.getAsBoolean()) {
            throw new ModelStoreException(ModelStoreException.Reason.CANCELLED, "fetch cancelled");
        }
        long need = plan.bytesToDownload();
        if (need > 0 && plan.usableBytes() >= 0 && need + cfg.diskMarginBytes > plan.usableBytes()) {
            throw new ModelStoreException(ModelStoreException.Reason.DISK_FULL, "not enough disk space in " + root
                    + ": the download needs " + Sizes.si(need) + " (plus " + Sizes.si(cfg.diskMarginBytes)
                    + " to spare) but only " + Sizes.si(plan.usableBytes()) + " are free; free some space or choose "
                    + "another cache folder (--cache DIR, HF_HUB_CACHE)");
        }
        Path modelDir = layout.modelDir(r.repo(), plan.commit());
        try {
            Files.createDirectories(modelDir);
        } catch (IOException e) {
            throw new ModelStoreException(ModelStoreException.Reason.LOCAL_IO, "cannot create " + modelDir + " ("
                    + HubClient.describe(e) + ")", e);
        }
        try {
            if (!plan.isComplete()) {
                layout.writePendingFetch(r.repo(), plan.commit(), plan.files().stream().map(f -> f.file().path())
                        .toList());
            }
        } catch (IOException e) {
            throw new ModelStoreException(ModelStoreException.Reason.LOCAL_IO, "cannot write in " + modelDir
                    + " (" + HubClient.describe(e) + ")", e);
        }
        Downloader dl = new Downloader(hub.files(), new Downloader.Options(cfg.parallelDownloads, cfg.maxRetries,
                cfg.retryBackoff, cfg.stallTimeout, "fetch again"));
        List<HubDownloadItem> items = plan.toDownload().stream().map(f -> new HubDownloadItem(hub, layout, r.repo(),
                plan.commit(), f.file())).toList();
        Downloader.Result res = dl.run(items, plan.totalBytes(), plan.files().stream()
                .filter(FetchPlan.PlannedFile::present).mapToLong(f -> Math.max(0, f.file().size())).sum(),
                plan.files().size(), t, stop);
        try {
            layout.writeRef(r.repo(), plan.revision(), plan.commit());
            layout.clearPendingFetch(r.repo(), plan.commit());
        } catch (IOException e) {
            throw new ModelStoreException(ModelStoreException.Reason.LOCAL_IO, "cannot record revision "
                    + plan.revision() + " in " + modelDir + " (" + HubClient.describe(e) + ")", e);
        }
        t.finish();
        ResolvedModel.Source source = destination.source() != ResolvedModel.Source.GIVEN_CACHE ? destination.source()
                : root.equals(hubCache) ? ResolvedModel.Source.HF_CACHE
                : root.equals(pluginCache) ? ResolvedModel.Source.PLUGIN_CACHE : ResolvedModel.Source.GIVEN_CACHE;
        ResolvedModel m = ModelResolver.inspect(r.toString(), modelDir,
                plan.descriptor(), source, layout.root(), r.repo(), plan.revision(), plan.commit(),
                List.of("fetched " + plan.revision() + " → " + plan.commit()));
        return new FetchResult(m, plan, res.downloaded(), res.reused(), res.bytesTransferred(),
                Duration.ofNanos(System.nanoTime() - t0));
    }
}
