package org.layered.store;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.*;

class HubClientTest {
    private static final TinyHubModel MODEL = TinyHubModel.build();
    private FakeHub hub;

    @BeforeEach
    void start() throws Exception {
        hub = new FakeHub();
        MODEL.publish(hub, TinyHubModel.REPO, TinyHubModel.COMMIT);
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    private HubClient client(String token) {
        return new HubClient(hub.endpoint(), token, HubClient.newHttpClient(HttpClient.Builder.NO_PROXY,
                Duration.ofSeconds(5)), Duration.ofSeconds(10));
    }

    @Test
    void listingGivesTheCommitSizesAndLfsHashes() throws Exception {
        HubClient.Listing l = client(null).list(TinyHubModel.REPO, "main");
        assertEquals(TinyHubModel.COMMIT, l.commit());
        assertEquals(MODEL.files.size(), l.files().size());
        HubClient.RemoteFile vae = l.files().stream().filter(f -> f.path().equals(TinyHubModel.VAE)).findFirst()
                .orElseThrow();
        assertTrue(vae.isLfs());
        assertEquals(FakeHub.sha256(MODEL.get(TinyHubModel.VAE)), vae.lfsSha256());
        assertEquals(MODEL.get(TinyHubModel.VAE).length, vae.size());
        HubClient.RemoteFile index = l.files().stream().filter(f -> f.path().equals("model_index.json")).findFirst()
                .orElseThrow();
        assertFalse(index.isLfs());
        assertEquals(FakeHub.gitSha1(MODEL.get("model_index.json")), index.expectedEtag());

        hub.listingWithBlobs = false;
        hub.treePageSize = 2;
        HubClient.Listing tree = client(null).list(TinyHubModel.REPO, "main");
        assertEquals(l.files(), tree.files(), "the paged tree gives the same listing");
        assertTrue(hub.requests("/tree/").size() >= MODEL.files.size() / 2, hub.log.toString());
    }

    @Test
    void metadataOfLfsFilesPointsToTheCdnAndOfSmallFilesToTheHub() throws Exception {
        HubClient c = client("hf_secret");
        HubClient.FileMetadata lfs = c.metadata(TinyHubModel.REPO, TinyHubModel.COMMIT, TinyHubModel.VAE);
        assertTrue(lfs.lfs());
        assertEquals(FakeHub.sha256(MODEL.get(TinyHubModel.VAE)), lfs.etag(), "X-Linked-Etag, unquoted");
        assertEquals(MODEL.get(TinyHubModel.VAE).length, lfs.size(), "X-Linked-Size");
        assertEquals(TinyHubModel.COMMIT, lfs.commit(), "X-Repo-Commit");
        assertNotEquals(hub.endpoint().getPort(), lfs.location().getPort(), "redirected to the CDN");

        HubClient.FileMetadata small = c.metadata(TinyHubModel.REPO, "main", "vae/config.json");
        assertFalse(small.lfs());
        assertEquals(FakeHub.gitSha1(MODEL.get("vae/config.json")), small.etag());
        assertEquals(hub.endpoint().getPort(), small.location().getPort());

        HttpResponse<InputStream> r = c.open(lfs.location(), 100, "vae");
        try (InputStream in = r.body()) {
            assertEquals(206, r.statusCode());
            byte[] got = in.readAllBytes();
            assertEquals(MODEL.get(TinyHubModel.VAE).length - 100, got.length);
        }
        assertTrue(hub.cdnAuth.isEmpty(), "no token to another origin");
        assertTrue(hub.hubAuth.stream().allMatch("Bearer hf_secret"::equals));
    }

    @Test
    void pathsAreEncoded() {
        HubClient c = client(null);
        assertEquals(URI.create(hub.endpoint() + "/o/n/resolve/refs%2Fpr%2F1/dir/a%20b%2Bc.json"),
                c.resolveUrl("o/n", "refs/pr/1", "dir/a b+c.json"));
    }

    @Test
    void httpErrorsBecomeReasonsWithAdvice() {
        FakeHub.Repo gated = hub.addRepo("o/gated", TinyHubModel.COMMIT);
        gated.put("model_index.json", new byte[] {'{', '}'}, false);
        gated.gated = true;
        gated.grantedTokens.add("ok");

        ModelStoreException e401 = assertThrows(ModelStoreException.class, () -> client(null).list("o/gated", "main"));
        assertEquals(ModelStoreException.Reason.UNAUTHORIZED, e401.reason());
        assertTrue(e401.getMessage().contains("/o/gated") && e401.getMessage().contains("HF_TOKEN"),
                e401.getMessage());
        ModelStoreException e403 = assertThrows(ModelStoreException.class, () -> client("nope").list("o/gated",
                "main"));
        assertEquals(ModelStoreException.Reason.ACCESS_DENIED, e403.reason());
        assertDoesNotThrow(() -> client("ok").list("o/gated", "main"));

        ModelStoreException repo = assertThrows(ModelStoreException.class, () -> client(null).list("o/none", "main"));
        assertEquals(ModelStoreException.Reason.REPO_NOT_FOUND, repo.reason());
        ModelStoreException file = assertThrows(ModelStoreException.class,
                () -> client(null).metadata(TinyHubModel.REPO, "main", "nope.json"));
        assertEquals(ModelStoreException.Reason.FILE_NOT_FOUND, file.reason());
        assertTrue(file.getMessage().contains("nope.json"));
        ModelStoreException rev = assertThrows(ModelStoreException.class,
                () -> client(null).list(TinyHubModel.REPO, "v9"));
        assertEquals(ModelStoreException.Reason.REVISION_NOT_FOUND, rev.reason());
        assertFalse(rev.isRetryable());

        HubClient dead = new HubClient(URI.create("http://127.0.0.1:1"), null, HubClient.newHttpClient(
                HttpClient.Builder.NO_PROXY, Duration.ofSeconds(2)), Duration.ofSeconds(2));
        ModelStoreException net = assertThrows(ModelStoreException.class, () -> dead.list("o/n", "main"));
        assertEquals(ModelStoreException.Reason.NETWORK, net.reason());
        assertTrue(net.isRetryable());
        assertThrows(IllegalArgumentException.class, () -> new HubClient(URI.create("ftp://x"), null,
                HttpClient.newHttpClient(), Duration.ofSeconds(1)));
    }
}
