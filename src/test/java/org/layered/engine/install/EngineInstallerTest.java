package org.layered.engine.install;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layered.engine.DjlNatives;
import org.layered.engine.LibtorchFolder;
import org.layered.engine.NvidiaDriver;
import org.layered.store.DownloadProgress;
import org.layered.store.Downloader;
import org.layered.store.HttpFiles;
import org.layered.store.ModelStoreException;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The installer on small synthetic bundles served by the loopback repository: the plan (sizes from HEAD, unpacked
 * sizes from the gzip trailer), DJL's JNI fetched when the jar lacks the flavour, the complete-set check, a JNI
 * that is no library, and the repository index as DJL writes it.
 */
class EngineInstallerTest {
    private static final String VERSION = DjlNatives.pytorchVersion();
    private static final String CLASSIFIER = DjlNatives.classifier();

    @TempDir
    Path dir;
    private FakeNativeRepository repo;
    private EngineInstaller installer;
    private final Map<String, byte[]> published = new LinkedHashMap<>();

    @BeforeEach
    void start() throws IOException {
        repo = new FakeNativeRepository(dir.resolve("repo"));
        installer = new EngineInstaller(new NativeRepository(repo.base(), HttpFiles.anonymous(Duration.ofSeconds(5),
                Duration.ofSeconds(10))), dir.resolve("engines"), new Downloader.Options(2, 0, Duration.ofMillis(10),
                Duration.ofSeconds(10), "install again"));
    }

    @AfterEach
    void stop() {
        repo.close();
    }

    private void publish(String flavor, String... libraries) throws IOException {
        repo.publishRandom(VERSION, flavor, CLASSIFIER, libraries).forEach((k, v) -> published.put(flavor + "/" + k, v));
    }

    private void jni(String flavor, byte[] content) throws IOException {
        repo.publishJni(VERSION, DjlNatives.djlVersion(), CLASSIFIER, flavor, DjlNatives.jniLibrary(), content);
    }

    private static NvidiaDriver noDriver() {
        return NvidiaDriver.read(Path.of("/nonexistent"), c -> null);
    }

    @Test
    void installsAFlavourTheJarHasNoJniForWithDjlsJniFromTheRepository() throws Exception {
        publish("cu126", "libtorch.so", "libc10.so", "libtorch_cpu.so", "libtorch_cuda.so", "libc10_cuda.so");
        byte[] elf = FakeNativeRepository.elf(4096);
        jni("cu126", elf);
        EngineInstaller.Plan plan = installer.plan("cu126", noDriver(), null);
        assertFalse(plan.installed());
        assertEquals(6, plan.files().size(), "five libraries and the JNI");
        long unpacked = published.values().stream().mapToLong(b -> b.length).sum() + elf.length;
        assertEquals(unpacked, plan.installedBytes(), "unpacked sizes read from each gzip trailer");
        Path destination = dir.resolve("engines").resolve(VERSION + "-cu126-" + CLASSIFIER);
        assertEquals(destination, plan.destination());
        assertTrue(plan.summary().contains("into " + destination), plan.summary());

        List<DownloadProgress.Snapshot> snapshots = new ArrayList<>();
        LibtorchFolder f = installer.install(plan, snapshots::add, Duration.ZERO, null);
        assertEquals(destination, f.dir());
        assertEquals("cu126", f.flavor());
        for (String l : List.of("libtorch.so", "libc10.so", "libtorch_cuda.so")) {
            assertArrayEquals(published.get("cu126/" + l), Files.readAllBytes(destination.resolve(l)), l);
        }
        assertArrayEquals(elf, Files.readAllBytes(destination.resolve(DjlNatives.cachedJniName())),
                "the JNI where DJL looks first, under the name DJL gives it");
        java.util.Properties marker = new java.util.Properties();
        try (var in = Files.newInputStream(destination.resolve(LibtorchFolder.MARKER))) {
            marker.load(in);
        }
        assertEquals(repo.base().toString(), marker.getProperty("source"));
        assertEquals(String.valueOf(elf.length), marker.getProperty("file." + DjlNatives.cachedJniName()));
        DownloadProgress.Snapshot last = snapshots.get(snapshots.size() - 1);
        assertEquals(DownloadProgress.Phase.DONE, last.phase());
        assertEquals(6, last.filesDone());
        assertTrue(installer.plan("cu126", noDriver(), null).installed(), "a second plan finds it complete");
    }

    @Test
    void anIncompleteBundleOrAJniThatIsNoLibraryIsNotInstalled() throws Exception {
        publish("cu128", "libtorch.so", "libtorch_cpu.so", "libtorch_cuda.so", "libc10_cuda.so");
        ModelStoreException e = assertThrows(ModelStoreException.class, () -> installer.install(installer.plan(
                "cu128", noDriver(), null), s -> { }, Duration.ZERO, null));
        assertEquals(ModelStoreException.Reason.CHECKSUM_MISMATCH, e.reason());
        assertTrue(e.getMessage().contains("incomplete, missing libc10.so (the index does not list it)"),
                e.getMessage());
        assertFalse(Files.exists(dir.resolve("engines").resolve(VERSION + "-cu128-" + CLASSIFIER)));

        publish("cu126", "libtorch.so", "libc10.so", "libtorch_cuda.so", "libc10_cuda.so");
        jni("cu126", "<html>Access denied</html>".getBytes());
        ModelStoreException html = assertThrows(ModelStoreException.class, () -> installer.install(installer.plan(
                "cu126", noDriver(), null), s -> { }, Duration.ZERO, null));
        assertTrue(html.getMessage().contains("not a shared library for this platform"), html.getMessage());
        assertTrue(html.getMessage().contains("moved to "), "quarantined: " + html.getMessage());
    }

    @Test
    void aMissingIndexOrFlavourSaysWhatIsPublished() throws Exception {
        ModelStoreException e = assertThrows(ModelStoreException.class, () -> installer.plan("auto", noDriver(),
                null));
        assertEquals(ModelStoreException.Reason.FILE_NOT_FOUND, e.reason());
        assertTrue(e.getMessage().contains("files.txt"), e.getMessage());
        publish("cpu", "libtorch.so", "libc10.so");
        assertThrows(org.layered.engine.EngineException.class, () -> installer.plan("cu128", noDriver(), null));
    }

    @Test
    void theIndexIsReadAsDjlWritesIt() {
        NativeRepository.Index index = new NativeRepository.Index("2.7.1", List.of(
                "cpu/linux-x86_64/native/lib/libc10.so.gz",
                "cpu/linux-x86_64/native/lib/libtorch.so.gz",
                "cpu/linux-aarch64/native/lib/libtorch.so.gz",
                "cpu-precxx11/linux-x86_64/native/lib/libstdc%2B%2B.so.6.gz",
                "cu128/linux-x86_64/native/lib/libcudart-f1f6b7c1.so.12.gz",
                "cu128/linux-x86_64/native/lib/libtorch.so.gz",
                "cu128/win-x86_64/native/lib/torch.dll.gz"));
        assertEquals(List.of("cpu", "cpu-precxx11", "cu128"), index.flavors("linux-x86_64"));
        assertEquals(List.of("cu128"), index.flavors("win-x86_64"));
        assertEquals(2, index.files("cu128", "linux-x86_64").size());
        assertEquals("libstdc++.so.6", NativeRepository.Index.libraryName(
                "cpu-precxx11/linux-x86_64/native/lib/libstdc%2B%2B.so.6.gz"));
        assertEquals("libcudart-f1f6b7c1.so.12", NativeRepository.Index.libraryName(
                index.files("cu128", "linux-x86_64").get(0)));
        assertEquals(URI.create(NativeRepository.DEFAULT_BASE), NativeRepository.base(Map.of(), k -> null));
        assertEquals(URI.create("http://mirror/p"), NativeRepository.base(Map.of(NativeRepository.ENVIRONMENT,
                "http://mirror/p"), k -> null));
        assertEquals(URI.create("http://prop/p"), NativeRepository.base(Map.of(NativeRepository.ENVIRONMENT,
                "http://mirror/p"), k -> k.equals(NativeRepository.PROPERTY) ? "http://prop/p" : null));
    }
}
