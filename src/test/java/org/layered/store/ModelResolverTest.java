package org.layered.store;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** Offline resolution: explicit folder, HF cache (built here in huggingface_hub's layout), plugin cache. */
class ModelResolverTest {
    private static final TinyHubModel MODEL = TinyHubModel.build();
    private static final String REPO = TinyHubModel.REPO;
    private static final String COMMIT = TinyHubModel.COMMIT;
    private static final String OLD = "fedcba9876543210fedcba9876543210fedcba98";

    @TempDir
    Path tmp;
    private Path home;

    @BeforeEach
    void setUp() throws Exception {
        home = Files.createDirectories(tmp.resolve("home"));
    }

    private ModelStore store(Map<String, String> env) {
        return new ModelStore(new ModelStore.Config().env(env).userHome(home)
                .pluginCache(tmp.resolve("plugin")));
    }

    private Map<String, byte[]> files() {
        return MODEL.modelFiles();
    }

    /** Everything about a tree that a write would change: paths, sizes, mtimes, link targets, permissions. */
    private static Map<String, String> fingerprint(Path root) throws Exception {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.toList()) {
                String v = Files.isSymbolicLink(p) ? "link->" + Files.readSymbolicLink(p)
                        : Files.size(p) + "@" + Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS);
                out.put(root.relativize(p).toString(), v + " " + Files.getLastModifiedTime(p,
                        LinkOption.NOFOLLOW_LINKS) + " " + PosixFilePermissions.toString(Files.getPosixFilePermissions(
                        p, LinkOption.NOFOLLOW_LINKS)));
            }
        }
        return out;
    }

    private static void makeReadOnly(Path root) throws Exception {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.toList()) {
                if (!Files.isSymbolicLink(p)) {
                    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p)
                            ? "r-xr-xr-x" : "r--r--r--"));
                }
            }
        }
    }

    @Test
    void aCheckpointInTheHfCacheIsFoundThroughHfHomeAndUsedReadOnly() throws Exception {
        Path hfHome = tmp.resolve("hf");
        Path snap = HfCacheBuilder.write(hfHome.resolve("hub"), REPO, COMMIT, "main", files(), MODEL.lfs);
        makeReadOnly(hfHome);
        Map<String, String> before = fingerprint(hfHome);

        ModelStore store = store(Map.of("HF_HOME", hfHome.toString()));
        ResolvedModel m = store.resolve(REPO);
        assertEquals(ResolvedModel.Source.HF_CACHE, m.source());
        assertEquals(snap, m.root());
        assertEquals(COMMIT, m.commit());
        assertEquals("main", m.revision());
        assertTrue(m.isComplete(), m.components().toString());
        assertEquals(6, m.components().size());
        assertTrue(m.components().stream().allMatch(c -> c.state() == ResolvedModel.State.PRESENT
                && c.warnings().isEmpty()), m.components().toString());
        assertTrue(m.summary().contains("HF cache"), m.summary());
        assertEquals(m.root(), store.resolve("qwen-image-layered").root(), "short id");
        assertEquals(m.root(), store.resolve(REPO + "@" + COMMIT).root(), "commit");
        assertEquals(m.root(), store.resolve(snap.toString()).root(), "the snapshot folder itself");
        assertEquals(ResolvedModel.Source.FOLDER, store.resolve(snap.toString()).source());

        ModelVerifier.Report rep = store.verify(m, null, null);
        assertTrue(rep.passed(), rep.summary());
        assertEquals(files().size(), rep.count(ModelVerifier.Status.OK));
        assertTrue(rep.files().stream().anyMatch(f -> f.algorithm().equals("sha256")));
        assertTrue(rep.files().stream().anyMatch(f -> f.algorithm().equals("git-sha1")));

        assertEquals(before, fingerprint(hfHome), "resolution and verification never write to the HF cache");
    }

    @Test
    void hfHubCacheBeatsHfHome() throws Exception {
        HfCacheBuilder.write(tmp.resolve("hf/hub"), REPO, OLD, "main", files(), MODEL.lfs);
        Path snap = HfCacheBuilder.write(tmp.resolve("direct"), REPO, COMMIT, "main", files(), MODEL.lfs);
        ResolvedModel m = store(Map.of("HF_HOME", tmp.resolve("hf").toString(), "HF_HUB_CACHE",
                tmp.resolve("direct").toString())).resolve(REPO);
        assertEquals(snap, m.root());
    }

    @Test
    void resolutionOrderFolderThenGivenCacheThenHfCacheThenPluginCache() throws Exception {
        Path hf = tmp.resolve("hf/hub");
        Path plugin = tmp.resolve("plugin");
        Path given = tmp.resolve("given");
        HfCacheBuilder.write(plugin, REPO, OLD, "main", files(), MODEL.lfs);
        Map<String, String> env = Map.of("HF_HUB_CACHE", hf.toString());
        // only the plugin cache has it
        ResolvedModel p = store(env).resolve(REPO);
        assertEquals(ResolvedModel.Source.PLUGIN_CACHE, p.source());
        assertEquals(OLD, p.commit());
        // the HF cache comes before the plugin cache
        HfCacheBuilder.write(hf, REPO, COMMIT, "main", files(), MODEL.lfs);
        assertEquals(ResolvedModel.Source.HF_CACHE, store(env).resolve(REPO).source());
        // a cache given explicitly comes first
        HfCacheBuilder.write(given, REPO, COMMIT, "main", files(), MODEL.lfs);
        ModelStore withGiven = new ModelStore(new ModelStore.Config().env(env).userHome(home).addCache(given)
                .pluginCache(plugin));
        assertEquals(ResolvedModel.Source.GIVEN_CACHE, withGiven.resolve(REPO).source());
        assertEquals(given, withGiven.downloadCache());
        assertEquals(List.of(given, hf, plugin), withGiven.searchedCaches());
    }

    @Test
    void anIncompleteSnapshotGivesWayToACompleteOneAndIsReportedWhenAlone() throws Exception {
        Path hf = tmp.resolve("hf/hub");
        Map<String, byte[]> partial = new TreeMap<>(files());
        partial.remove(TinyHubModel.SHARD2);
        partial.keySet().removeIf(k -> k.startsWith("text_encoder/"));
        Path snap = HfCacheBuilder.write(hf, REPO, COMMIT, "main", partial, MODEL.lfs);
        Map<String, String> env = Map.of("HF_HUB_CACHE", hf.toString());

        ResolvedModel m = store(env).resolve(REPO);
        assertEquals(snap, m.root());
        assertFalse(m.isComplete());
        assertEquals(ResolvedModel.State.MISSING, m.component("text_encoder").orElseThrow().state());
        ResolvedModel.ComponentStatus t = m.component("transformer").orElseThrow();
        assertEquals(ResolvedModel.State.INCOMPLETE, t.state());
        assertEquals(List.of(TinyHubModel.SHARD2), t.missingFiles());
        ModelStoreException e = assertThrows(ModelStoreException.class, m::requireComplete);
        assertTrue(e.getMessage().contains("text_encoder (missing)") && e.getMessage().contains("transformer "
                + "(incomplete)") && e.getMessage().contains("layered fetch --model " + REPO), e.getMessage());

        // a dangling link (blob deleted) counts as missing
        Path blob = hf.resolve("models--Qwen--Qwen-Image-Layered/blobs").resolve(FakeHub.sha256(MODEL.get(
                TinyHubModel.VAE)));
        Files.delete(blob);
        assertEquals(ResolvedModel.State.INCOMPLETE, store(env).resolve(REPO).component("vae").orElseThrow().state());

        HfCacheBuilder.write(tmp.resolve("plugin"), REPO, OLD, "main", files(), MODEL.lfs);
        ResolvedModel complete = store(env).resolve(REPO);
        assertEquals(ResolvedModel.Source.PLUGIN_CACHE, complete.source());
        assertTrue(complete.isComplete());
    }

    @Test
    void aMissingModelSaysHowBigTheDownloadIsAndHowToGetIt() {
        Path hf = tmp.resolve("hf/hub");
        ModelNotFoundException e = assertThrows(ModelNotFoundException.class,
                () -> store(Map.of("HF_HUB_CACHE", hf.toString())).resolve(REPO));
        assertEquals(ModelStoreException.Reason.NOT_FOUND, e.reason());
        assertTrue(e.isDownloadable());
        assertEquals(57_700_000_000L, e.downloadBytes().orElseThrow());
        assertEquals(List.of(hf, tmp.resolve("plugin")), e.searched());
        assertTrue(e.getMessage().contains("57.7 GB"), e.getMessage());
        assertTrue(e.getMessage().contains("layered fetch --model Qwen/Qwen-Image-Layered"), e.getMessage());
        assertEquals("layered fetch --model Qwen/Qwen-Image-Layered", e.fetchCommand());
        assertFalse(e.getMessage().contains("\n"));

        ModelNotFoundException folder = assertThrows(ModelNotFoundException.class,
                () -> store(Map.of()).resolve("/nonexistent/model"));
        assertFalse(folder.isDownloadable());
        assertTrue(folder.getMessage().contains("no such file or folder"));
        ModelNotFoundException word = assertThrows(ModelNotFoundException.class,
                () -> store(Map.of()).resolve("frobnicate"));
        assertTrue(word.getMessage().contains("not a known model id"), word.getMessage());
        assertThrows(ModelNotFoundException.class, () -> store(Map.of("HF_HUB_CACHE", hf.toString()))
                .resolve(REPO + "@some-branch"));
    }

    @Test
    void aCacheCopiedWithoutRefsStillResolvesItsOnlySnapshot() throws Exception {
        Path hf = tmp.resolve("hf/hub");
        HfCacheBuilder.write(hf, REPO, COMMIT, null, files(), MODEL.lfs);
        ResolvedModel m = store(Map.of("HF_HUB_CACHE", hf.toString())).resolve(REPO);
        assertEquals(COMMIT, m.commit());
        assertTrue(m.notes().get(0).contains("the only snapshot"), m.notes().toString());
    }

    @Test
    void aPlainFolderIsTakenAsItIsAndCheckedAgainstTheDescriptorItsIndexNames() throws Exception {
        Path dir = tmp.resolve("plain");
        for (Map.Entry<String, byte[]> e : files().entrySet()) {
            Path f = dir.resolve(e.getKey());
            Files.createDirectories(f.getParent());
            Files.write(f, e.getValue());
        }
        ResolvedModel m = store(Map.of()).resolve(dir.toString());
        assertEquals(ResolvedModel.Source.FOLDER, m.source());
        assertNotNull(m.descriptor());
        assertTrue(m.isComplete());
        // a plain folder has no reference hashes
        ModelVerifier.Report rep = ModelVerifier.verify(dir, null, null);
        assertTrue(rep.passed());
        assertEquals(files().size(), rep.count(ModelVerifier.Status.UNVERIFIABLE));
        // ... unless it is a huggingface-cli --local-dir download, which keeps the ETag in metadata files
        Path meta = Files.createDirectories(dir.resolve(".cache/huggingface/download/vae"));
        Files.writeString(meta.resolve("diffusion_pytorch_model.safetensors.metadata"), COMMIT + "\n"
                + FakeHub.sha256(MODEL.get(TinyHubModel.VAE)) + "\n1700000000.0\n");
        assertEquals(1, ModelVerifier.verify(dir, null, null).count(ModelVerifier.Status.OK));
    }

    @Test
    void verificationFindsACorruptedBlob() throws Exception {
        Path hf = tmp.resolve("hf/hub");
        HfCacheBuilder.write(hf, REPO, COMMIT, "main", files(), MODEL.lfs);
        String sha = FakeHub.sha256(MODEL.get(TinyHubModel.SHARD1));
        Path blob = hf.resolve("models--Qwen--Qwen-Image-Layered/blobs").resolve(sha);
        byte[] b = Files.readAllBytes(blob);
        b[b.length - 1] ^= 1;
        Files.write(blob, b);
        ModelVerifier.Report rep = ModelVerifier.verify(store(Map.of("HF_HUB_CACHE", hf.toString())).resolve(REPO)
                .root(), null, null);
        assertFalse(rep.passed());
        List<ModelVerifier.FileCheck> bad = rep.files().stream()
                .filter(f -> f.status() == ModelVerifier.Status.MISMATCH).toList();
        assertEquals(1, bad.size());
        assertEquals(TinyHubModel.SHARD1, bad.get(0).path());
        assertEquals(sha, bad.get(0).expected());
        Set<String> seen = new HashSet<>();
        rep.files().forEach(f -> assertTrue(seen.add(f.path())));
    }
}
