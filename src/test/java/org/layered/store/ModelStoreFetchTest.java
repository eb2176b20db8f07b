package org.layered.store;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** {@link ModelStore#fetch} against the loopback {@link FakeHub}: never the network. */
@Timeout(60)
class ModelStoreFetchTest {
    private static final TinyHubModel MODEL = TinyHubModel.build();
    private static final String REPO = TinyHubModel.REPO;
    private static final String COMMIT = TinyHubModel.COMMIT;

    @TempDir
    Path tmp;
    private FakeHub hub;
    private Path cache;

    @BeforeEach
    void start() throws Exception {
        hub = new FakeHub();
        MODEL.publish(hub, REPO, COMMIT);
        cache = tmp.resolve("hf/hub");
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    private ModelStore.Config config(Map<String, String> env) {
        return new ModelStore.Config().env(env).userHome(tmp.resolve("home")).hubCache(cache)
                .pluginCache(tmp.resolve("plugin")).endpoint(hub.endpoint()).proxy(HttpClient.Builder.NO_PROXY)
                .retryBackoff(Duration.ofMillis(1)).stallTimeout(Duration.ofSeconds(3)).maxRetries(3)
                .progressInterval(Duration.ZERO).diskMarginBytes(0);
    }

    private ModelStore store() {
        return new ModelStore(config(Map.of()));
    }

    private HfCacheLayout layout() {
        return new HfCacheLayout(cache);
    }

    private List<String> cdnGets() {
        return hub.requests("CDN GET");
    }

    private static final class Recorder implements DownloadProgress {
        final List<Snapshot> snapshots = Collections.synchronizedList(new ArrayList<>());
        final List<String> messages = Collections.synchronizedList(new ArrayList<>());
        final List<String> finished = Collections.synchronizedList(new ArrayList<>());
        volatile FetchPlan plan;

        @Override
        public void progress(Snapshot s) {
            snapshots.add(s);
        }

        @Override
        public void planned(FetchPlan p) {
            plan = p;
        }

        @Override
        public void message(String text) {
            messages.add(text);
        }

        @Override
        public void fileFinished(String path, long size, FileOutcome outcome) {
            finished.add(outcome + " " + path);
        }
    }

    private void assertCompleteAndVerified(ModelStore store) throws Exception {
        ResolvedModel m = store.resolve(REPO);
        assertTrue(m.isComplete(), m.components().toString());
        assertEquals(COMMIT, m.commit());
        assertEquals(ResolvedModel.Source.HF_CACHE, m.source());
        for (Map.Entry<String, byte[]> e : MODEL.modelFiles().entrySet()) {
            Path f = m.root().resolve(e.getKey());
            assertArrayEquals(e.getValue(), Files.readAllBytes(f), e.getKey());
            assertTrue(Files.isSymbolicLink(f), e.getKey() + " should link into blobs/");
        }
        ModelVerifier.Report rep = store.verify(m, null, null);
        assertTrue(rep.passed(), rep.summary());
        assertEquals(MODEL.modelFiles().size(), rep.count(ModelVerifier.Status.OK), rep.files().toString());
        try (Stream<Path> s = Files.walk(cache)) {
            assertEquals(List.of(), s.filter(p -> p.toString().endsWith(".incomplete")).toList());
        }
    }

    @Test
    void fetchDownloadsIntoTheHfCacheLayoutVerifiesAndResolves() throws Exception {
        Recorder rec = new Recorder();
        ModelStore store = store();
        ModelStore.FetchResult r = store.fetch(REPO, rec, null);

        assertEquals(MODEL.modelFiles().size(), r.filesDownloaded());
        assertTrue(r.model().isComplete());
        HfCacheLayout l = layout();
        assertEquals(COMMIT, Files.readString(l.refsDir(REPO).resolve("main")));
        // blobs are named by the hub's ETag: sha256 for LFS files, git sha1 for small ones
        assertTrue(Files.isRegularFile(l.blob(REPO, FakeHub.sha256(MODEL.get(TinyHubModel.VAE)))));
        assertTrue(Files.isRegularFile(l.blob(REPO, FakeHub.gitSha1(MODEL.get("model_index.json")))));
        Path link = l.snapshotFile(REPO, COMMIT, TinyHubModel.VAE);
        assertFalse(Files.readSymbolicLink(link).isAbsolute(), "snapshot links are relative, as huggingface_hub's");
        assertFalse(Files.exists(l.snapshotFile(REPO, COMMIT, ".gitattributes")), "not in the descriptor");
        assertCompleteAndVerified(store);

        // progress: a plan first, rates and ETAs while downloading, a final DONE at 100 %
        assertNotNull(rec.plan);
        assertEquals(MODEL.modelFiles().values().stream().mapToLong(b -> b.length).sum(), rec.plan.totalBytes());
        DownloadProgress.Snapshot last = rec.snapshots.get(rec.snapshots.size() - 1);
        assertEquals(DownloadProgress.Phase.DONE, last.phase());
        assertEquals(rec.plan.totalBytes(), last.doneBytes());
        assertEquals(1.0, last.fraction());
        assertTrue(rec.snapshots.stream().anyMatch(s -> s.phase() == DownloadProgress.Phase.DOWNLOADING
                && s.bytesPerSecond() > 0 && s.etaSeconds() >= 0), rec.snapshots.toString());
        assertTrue(rec.snapshots.get(rec.snapshots.size() - 2).format().matches(".*B/s, ETA .*files"),
                rec.snapshots.get(rec.snapshots.size() - 2).format());
        // LFS content came from the CDN, which never saw the token header
        assertEquals(4, cdnGets().size(), hub.log.toString());
        assertTrue(hub.cdnAuth.isEmpty());
    }

    @Test
    void aSecondFetchDownloadsNothing() throws Exception {
        store().fetch(REPO, null, null);
        hub.log.clear();
        Recorder rec = new Recorder();
        ModelStore.FetchResult r = store().fetch(REPO, rec, null);
        assertEquals(0, r.filesDownloaded());
        assertTrue(rec.plan.isComplete());
        assertEquals(List.of(), hub.requests("resolve"), "no HEAD or GET for files already there");
        assertEquals(List.of(), cdnGets());
    }

    @Test
    void aTruncatedTransferIsResumedWithARangeRequest() throws Exception {
        String sha = FakeHub.sha256(MODEL.get(TinyHubModel.VAE));
        hub.truncateNext.put(sha, new java.util.concurrent.atomic.AtomicInteger(1));
        Recorder rec = new Recorder();
        store().fetch(REPO, rec, null);
        List<String> gets = hub.requests("CDN GET /blobs/" + sha);
        assertEquals(2, gets.size(), gets.toString());
        assertTrue(gets.get(0).endsWith("range=null"), gets.toString());
        long cut = (long) (MODEL.get(TinyHubModel.VAE).length * hub.truncateFraction);
        assertTrue(gets.get(1).matches(".*range=bytes=\\d+-"), gets.toString());
        long from = Long.parseLong(gets.get(1).replaceAll(".*bytes=(\\d+)-", "$1"));
        assertTrue(from > 0 && from <= cut, from + " vs " + cut);
        assertTrue(rec.messages.stream().anyMatch(m -> m.contains("resuming")), rec.messages.toString());
        assertCompleteAndVerified(store());
    }

    @Test
    void aFetchThatKeepsFailingKeepsThePartialFileAndTheNextFetchResumesIt() throws Exception {
        String sha = FakeHub.sha256(MODEL.get(TinyHubModel.VAE));
        hub.truncateNext.put(sha, new java.util.concurrent.atomic.AtomicInteger(1000));
        hub.truncateFraction = 0.25;
        ModelStore store = new ModelStore(config(Map.of()).maxRetries(1));
        ModelStoreException e = assertThrows(ModelStoreException.class, () -> store.fetch(REPO, null, null));
        assertEquals(ModelStoreException.Reason.NETWORK, e.reason());
        assertTrue(e.getMessage().contains("fetch again to resume"), e.getMessage());
        Path inc = layout().incomplete(REPO, sha);
        assertTrue(Files.size(inc) > 0, "partial download kept");
        assertFalse(Files.exists(layout().snapshotFile(REPO, COMMIT, TinyHubModel.VAE)), "never linked");
        assertFalse(Files.exists(layout().refsDir(REPO).resolve("main")), "refs only after a complete fetch");
        ResolvedModel partial = store.resolve(REPO);
        assertFalse(partial.isComplete());
        assertEquals(ResolvedModel.State.INCOMPLETE, partial.component("vae").orElseThrow().state());
        ModelStoreException inc2 = assertThrows(ModelStoreException.class, partial::requireComplete);
        assertEquals(ModelStoreException.Reason.INCOMPLETE, inc2.reason());
        assertTrue(inc2.getMessage().contains("layered fetch --model " + REPO), inc2.getMessage());

        long have = Files.size(inc);
        hub.truncateNext.clear();
        hub.log.clear();
        FetchPlan plan = store.plan(REPO);
        assertEquals(have, plan.files().stream().filter(f -> f.file().path().equals(TinyHubModel.VAE)).findFirst()
                .orElseThrow().partialBytes());
        store.fetch(REPO, null, null);
        List<String> gets = hub.requests("CDN GET /blobs/" + sha);
        assertEquals(List.of("CDN GET /blobs/" + sha + " range=bytes=" + have + "-"), gets);
        assertCompleteAndVerified(store);
    }

    @Test
    void aServerThatIgnoresRangeMakesTheDownloadStartOver() throws Exception {
        String sha = FakeHub.sha256(MODEL.get(TinyHubModel.VAE));
        hub.truncateNext.put(sha, new java.util.concurrent.atomic.AtomicInteger(1));
        hub.ignoreRange = true;
        Recorder rec = new Recorder();
        store().fetch(REPO, rec, null);
        assertTrue(rec.messages.stream().anyMatch(m -> m.contains("ignored the range")), rec.messages.toString());
        assertCompleteAndVerified(store());
    }

    @Test
    void aChecksumMismatchQuarantinesTheFileAndNeverUsesIt() throws Exception {
        String sha = FakeHub.sha256(MODEL.get(TinyHubModel.SHARD2));
        hub.corrupt.add(sha);
        ModelStore store = store();
        ModelStoreException e = assertThrows(ModelStoreException.class, () -> store.fetch(REPO, null, null));
        assertEquals(ModelStoreException.Reason.CHECKSUM_MISMATCH, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains(TinyHubModel.SHARD2) && e.getMessage().contains("not used"),
                e.getMessage());
        HfCacheLayout l = layout();
        assertFalse(Files.exists(l.blob(REPO, sha)));
        assertFalse(Files.exists(l.incomplete(REPO, sha)));
        assertFalse(Files.exists(l.snapshotFile(REPO, COMMIT, TinyHubModel.SHARD2)));
        try (Stream<Path> s = Files.list(l.quarantineDir(REPO))) {
            List<Path> q = s.toList();
            assertEquals(1, q.size());
            assertTrue(q.get(0).getFileName().toString().startsWith(sha));
        }
        ResolvedModel m = store.resolve(REPO);
        assertFalse(m.isComplete());
        assertTrue(m.component("transformer").orElseThrow().missingFiles().contains(TinyHubModel.SHARD2),
                m.component("transformer").toString());

        hub.corrupt.clear();
        store.fetch(REPO, null, null);
        assertCompleteAndVerified(store);
    }

    @Test
    void freeDiskSpaceIsCheckedBeforeAnyDownload() throws Exception {
        ModelStore store = new ModelStore(config(Map.of()).usableSpace(p -> 1000));
        ModelStoreException e = assertThrows(ModelStoreException.class, () -> store.fetch(REPO, null, null));
        assertEquals(ModelStoreException.Reason.DISK_FULL, e.reason());
        assertTrue(e.getMessage().contains("only 1.0 kB are free"), e.getMessage());
        assertEquals(List.of(), hub.requests("resolve"));
        assertEquals(List.of(), cdnGets());
    }

    @Test
    void aGatedModelNeedsATokenThatHasAcceptedTheLicence() throws Exception {
        FakeHub.Repo r = MODEL.publish(hub, REPO, COMMIT);
        r.gated = true;
        r.grantedTokens.add("hf_granted");

        ModelStoreException noToken = assertThrows(ModelStoreException.class, () -> store().fetch(REPO, null, null));
        assertEquals(ModelStoreException.Reason.UNAUTHORIZED, noToken.reason());
        assertTrue(noToken.getMessage().contains("licence") && noToken.getMessage().contains("HF_TOKEN"),
                noToken.getMessage());

        ModelStore refused = new ModelStore(config(Map.of("HF_TOKEN", "hf_not_accepted")));
        ModelStoreException denied = assertThrows(ModelStoreException.class, () -> refused.fetch(REPO, null, null));
        assertEquals(ModelStoreException.Reason.ACCESS_DENIED, denied.reason());
        assertTrue(denied.getMessage().contains("accepted") && denied.getMessage().contains(REPO),
                denied.getMessage());

        // the token file under HF_HOME, as `huggingface-cli login` writes it
        Path hfHome = Files.createDirectories(tmp.resolve("hfhome"));
        Files.writeString(hfHome.resolve("token"), "hf_granted\n", StandardCharsets.UTF_8);
        hub.hubAuth.clear();
        new ModelStore(config(Map.of("HF_HOME", hfHome.toString()))).fetch(REPO, null, null);
        assertTrue(hub.hubAuth.stream().allMatch("Bearer hf_granted"::equals), hub.hubAuth.toString());
        assertTrue(hub.cdnAuth.isEmpty(), "the token never goes to the CDN");
        assertCompleteAndVerified(store());
    }

    @Test
    void unknownRepositoriesAndRevisionsAreClearErrors() {
        ModelStoreException repo = assertThrows(ModelStoreException.class,
                () -> store().fetch("nobody/nothing", null, null));
        assertEquals(ModelStoreException.Reason.REPO_NOT_FOUND, repo.reason());
        assertTrue(repo.getMessage().contains("nobody/nothing") && repo.getMessage().contains("not found"),
                repo.getMessage());
        ModelStoreException rev = assertThrows(ModelStoreException.class,
                () -> store().fetch(REPO + "@no-such-branch", null, null));
        assertEquals(ModelStoreException.Reason.REVISION_NOT_FOUND, rev.reason());
        ModelStoreException folder = assertThrows(ModelStoreException.class,
                () -> store().fetch(tmp.toString(), null, null));
        assertEquals(ModelStoreException.Reason.NOT_DOWNLOADABLE, folder.reason());
        ModelStoreException offline = assertThrows(ModelStoreException.class,
                () -> new ModelStore(config(Map.of("HF_HUB_OFFLINE", "1"))).fetch(REPO, null, null));
        assertEquals(ModelStoreException.Reason.NOT_DOWNLOADABLE, offline.reason());
        assertEquals(List.of(), cdnGets());
    }

    @Test
    void twoFetchesOfTheSameModelAtOnceShareTheWorkSafely() throws Exception {
        hub.chunkDelayMillis = 2;
        ExecutorService ex = Executors.newFixedThreadPool(2);
        try {
            Callable<ModelStore.FetchResult> job = () -> store().fetch(REPO, null, null);
            Future<ModelStore.FetchResult> a = ex.submit(job);
            Future<ModelStore.FetchResult> b = ex.submit(job);
            ModelStore.FetchResult ra = a.get();
            ModelStore.FetchResult rb = b.get();
            assertTrue(ra.model().isComplete() && rb.model().isComplete());
            assertEquals(MODEL.modelFiles().size(), ra.filesDownloaded() + ra.filesReused()
                    + ra.plan().files().stream().filter(FetchPlan.PlannedFile::present).count());
        } finally {
            ex.shutdownNow();
        }
        assertEquals(1, hub.maxInFlightPerBlob(), "one blob is never downloaded twice at the same time");
        assertEquals(4, cdnGets().size(), "each LFS blob fetched once: " + cdnGets());
        assertCompleteAndVerified(store());
    }

    @Test
    void cancellingKeepsPartialFilesForResuming() throws Exception {
        hub.chunkDelayMillis = 30;
        AtomicBoolean cancel = new AtomicBoolean();
        DownloadProgress p = s -> {
            if (s.phase() == DownloadProgress.Phase.DOWNLOADING && s.doneBytes() > 40_000) {
                cancel.set(true);
            }
        };
        ModelStoreException e = assertThrows(ModelStoreException.class,
                () -> new ModelStore(config(Map.of()).parallelDownloads(1)).fetch(REPO, p, cancel::get));
        assertEquals(ModelStoreException.Reason.CANCELLED, e.reason(), e.getMessage());
        try (Stream<Path> s = Files.walk(cache)) {
            assertTrue(s.anyMatch(f -> f.toString().endsWith(".incomplete")), "partial file kept");
        }
        hub.chunkDelayMillis = 0;
        store().fetch(REPO, null, null);
        assertTrue(hub.requests("CDN GET").stream().anyMatch(l -> l.matches(".*range=bytes=[1-9]\\d*-")),
                hub.log.toString());
        assertCompleteAndVerified(store());
    }

    @Test
    void aStalledTransferIsAbortedAndResumed() throws Exception {
        String sha = FakeHub.sha256(MODEL.get(TinyHubModel.VAE));
        hub.stallNext.put(sha, new java.util.concurrent.atomic.AtomicInteger(1));
        hub.stallMillis = 4000;
        Recorder rec = new Recorder();
        long t0 = System.nanoTime();
        new ModelStore(config(Map.of()).stallTimeout(Duration.ofMillis(300))).fetch(REPO, rec, null);
        assertTrue(System.nanoTime() - t0 < 3_500_000_000L, "did not wait for the stalled server");
        assertTrue(rec.messages.stream().anyMatch(m -> m.contains("no data for")), rec.messages.toString());
        assertTrue(hub.requests("CDN GET /blobs/" + sha).get(1).matches(".*range=bytes=[1-9]\\d*-"),
                hub.log.toString());
        assertCompleteAndVerified(store());
    }

    @Test
    void aListingWithoutSizesFallsBackToThePagedTree() throws Exception {
        hub.listingWithBlobs = false;
        hub.treePageSize = 3;
        store().fetch(REPO, null, null);
        assertTrue(hub.requests("/tree/" + COMMIT).size() > 2, hub.log.toString());
        assertCompleteAndVerified(store());
    }
}
