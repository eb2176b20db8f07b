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
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A models folder ({@code Fiji.app/models/}): plain model folders in huggingface_hub's local-dir layout, searched
 * before the Hugging Face cache and the plugin cache, downloaded into on request, against the loopback hub.
 */
@Timeout(60)
class ModelFolderLayoutTest {
    private static final TinyHubModel MODEL = TinyHubModel.build();
    private static final String REPO = TinyHubModel.REPO;
    private static final String COMMIT = TinyHubModel.COMMIT;

    @TempDir
    Path tmp;
    private FakeHub hub;

    @BeforeEach
    void start() throws Exception {
        hub = new FakeHub();
        MODEL.publish(hub, REPO, COMMIT);
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    private Path models() {
        return tmp.resolve("Fiji.app/models");
    }

    private ModelStore.Config config() {
        return new ModelStore.Config().userHome(tmp.resolve("home")).hubCache(tmp.resolve("hf/hub"))
                .pluginCache(tmp.resolve("plugin")).modelsFolder(models()).endpoint(hub.endpoint())
                .proxy(HttpClient.Builder.NO_PROXY).retryBackoff(Duration.ofMillis(1)).maxRetries(1)
                .progressInterval(Duration.ZERO).diskMarginBytes(0);
    }

    private ModelStore store(ResolvedModel.Source to) {
        return new ModelStore(config().downloadTo(to));
    }

    @Test
    void aFetchIntoTheModelsFolderWritesPlainFilesThatResolveFirstAndVerify() throws Exception {
        ModelStore.FetchResult r = store(ResolvedModel.Source.MODELS_FOLDER).fetch(REPO, null, null);
        Path dir = models().resolve("Qwen-Image-Layered");
        assertEquals(dir, r.model().root());
        for (Map.Entry<String, byte[]> e : MODEL.modelFiles().entrySet()) {
            Path f = dir.resolve(e.getKey());
            assertTrue(Files.isRegularFile(f) && !Files.isSymbolicLink(f), e.getKey());
            assertArrayEquals(e.getValue(), Files.readAllBytes(f), e.getKey());
            // huggingface_hub's local-dir record: commit, ETag, time
            List<String> meta = Files.readAllLines(ModelFolderLayout.metadataFile(dir, e.getKey()));
            assertEquals(COMMIT, meta.get(0));
            assertEquals(MODEL.lfs.contains(e.getKey()) ? FakeHub.sha256(e.getValue()) : FakeHub.gitSha1(e.getValue()),
                    meta.get(1), e.getKey());
        }

        // an HF-cache copy too: the models folder is searched first
        store(ResolvedModel.Source.HF_CACHE).fetch(REPO, null, null);
        ModelStore both = store(null);
        ResolvedModel m = both.resolve(REPO);
        assertEquals(ResolvedModel.Source.MODELS_FOLDER, m.source());
        assertEquals(dir, m.root());
        assertTrue(m.isComplete(), m.components().toString());
        assertEquals(COMMIT, m.commit());
        ModelVerifier.Report rep = both.verify(m, null, null);
        assertEquals(MODEL.modelFiles().size(), rep.count(ModelVerifier.Status.OK), rep.files().toString());
        assertEquals(List.of(ResolvedModel.Source.MODELS_FOLDER, ResolvedModel.Source.HF_CACHE,
                ResolvedModel.Source.PLUGIN_CACHE), both.destinations().stream().map(ModelStore.Destination::source)
                .toList(), "search order");

        hub.log.clear();
        ModelStore.FetchResult again = store(ResolvedModel.Source.MODELS_FOLDER).fetch(REPO, null, null);
        assertEquals(0, again.filesDownloaded());
        assertEquals(List.of(), hub.requests("CDN GET"), "nothing downloaded twice");
    }

    @Test
    void aFolderCopiedInByHandIsUsedAndAFetchHashesItInsteadOfDownloadingIt() throws Exception {
        Path dir = models().resolve("Qwen-Image-Layered");
        for (Map.Entry<String, byte[]> e : MODEL.modelFiles().entrySet()) {
            Files.createDirectories(dir.resolve(e.getKey()).getParent());
            Files.write(dir.resolve(e.getKey()), e.getValue());
        }
        byte[] old = MODEL.get(TinyHubModel.VAE).clone();
        old[old.length / 2] ^= 1; // a different version of one file, same size
        Files.write(dir.resolve(TinyHubModel.VAE), old);

        ResolvedModel m = store(null).resolve(REPO);
        assertEquals(ResolvedModel.Source.MODELS_FOLDER, m.source());
        assertTrue(m.isComplete());
        assertNull(m.commit(), "no download records: the revision is unknown");

        ModelStore.FetchResult r = store(ResolvedModel.Source.MODELS_FOLDER).fetch(REPO, null, null);
        assertEquals(1, r.filesDownloaded(), "only the file whose content differs");
        assertEquals(List.of("CDN GET /blobs/" + FakeHub.sha256(MODEL.get(TinyHubModel.VAE)) + " range=null"),
                hub.requests("CDN GET"));
        assertArrayEquals(MODEL.get(TinyHubModel.VAE), Files.readAllBytes(dir.resolve(TinyHubModel.VAE)));
        assertEquals(COMMIT, store(null).resolve(REPO).commit());
    }

    @Test
    void anInterruptedFetchLeavesTheFolderIncompleteAndTheNextOneResumes() throws Exception {
        String sha = FakeHub.sha256(MODEL.get(TinyHubModel.SHARD1));
        hub.truncateNext.put(sha, new AtomicInteger(1000));
        hub.truncateFraction = 0.3;
        ModelStore s = store(ResolvedModel.Source.MODELS_FOLDER);
        assertThrows(ModelStoreException.class, () -> s.fetch(REPO, null, null));
        ResolvedModel partial = s.resolve(REPO);
        assertEquals(ResolvedModel.Source.MODELS_FOLDER, partial.source());
        assertFalse(partial.isComplete());
        Path inc = new ModelFolderLayout(models()).incomplete(REPO, TinyHubModel.SHARD1, sha);
        long have = Files.size(inc);
        assertTrue(have > 0);

        hub.truncateNext.clear();
        hub.log.clear();
        s.fetch(REPO, null, null);
        assertEquals(List.of("CDN GET /blobs/" + sha + " range=bytes=" + have + "-"), hub.requests("CDN GET /blobs/"
                + sha));
        assertTrue(s.resolve(REPO).isComplete());
        assertFalse(Files.exists(inc));
    }

    @Test
    void anotherRepositorysFolderOrAnotherCommitIsNotTaken() throws Exception {
        Path dir = models().resolve("Qwen-Image-Layered");
        Files.createDirectories(dir.resolve(".cache/layered"));
        Files.createDirectories(dir.resolve("vae"));
        Files.write(dir.resolve(TinyHubModel.VAE), MODEL.get(TinyHubModel.VAE));
        Files.writeString(dir.resolve("model_index.json"), "{}");
        Files.writeString(dir.resolve(".cache/layered/source.txt"), "someone/Qwen-Image-Layered\nmain\n" + COMMIT
                + "\n", StandardCharsets.UTF_8);
        assertThrows(ModelNotFoundException.class, () -> store(null).resolve(REPO));

        Files.writeString(dir.resolve(".cache/layered/source.txt"), REPO + "\nmain\n" + COMMIT + "\n");
        assertEquals(ResolvedModel.Source.MODELS_FOLDER, store(null).resolve(REPO).source());
        assertThrows(ModelNotFoundException.class, () -> store(null).resolve(REPO + "@" + "f".repeat(40)));
    }

    @Test
    void theDefaultDestinationIsTheHfCacheWhenItExistsElseTheModelsFolder() throws Exception {
        Files.createDirectories(models());
        assertEquals(ResolvedModel.Source.MODELS_FOLDER, store(null).downloadDestination().source());
        Files.createDirectories(tmp.resolve("hf/hub"));
        assertEquals(ResolvedModel.Source.HF_CACHE, store(null).downloadDestination().source(),
                "Python users share one copy");
        assertEquals(tmp.resolve("given"), new ModelStore(config().addCache(tmp.resolve("given")))
                .downloadDestination().root(), "a folder named by the user comes first");
        ModelStore noModels = new ModelStore(config().modelsFolder(null)
                .downloadTo(ResolvedModel.Source.MODELS_FOLDER));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, noModels::downloadDestination);
        assertEquals("no models folder is configured to download into", e.getMessage());
    }
}
