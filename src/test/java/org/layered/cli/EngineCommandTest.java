package org.layered.cli;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.layered.engine.DjlNatives;
import org.layered.engine.EngineSettings;
import org.layered.engine.LibtorchFolder;
import org.layered.engine.TorchEngine;
import org.layered.engine.install.FakeNativeRepository;
import org.layered.engine.install.NativeRepository;
import org.layered.export.PngLayerWriter;
import org.layered.store.Downloader;
import org.layered.testing.ChildJvm;
import org.layered.testing.TinyModel;
import org.layered.weights.safetensors.SafetensorsWriter;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import java.util.zip.Deflater;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code layered engine install|use|info} against a loopback imitation of DJL's native repository that serves a
 * copy of the bundled CPU natives (from the pytorch-native-cpu jar on the class path, gzip'd as DJL publishes them)
 * as flavour {@code cpu}: an interrupted install resumes; a corrupt file is rejected and the engine in use stays;
 * a child JVM started with no environment variable loads the installed engine from the settings file and runs the
 * op library and a tiny decomposition. The steps build on each other, in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EngineCommandTest {
    private static final String VERSION = DjlNatives.pytorchVersion();
    private static final String CLASSIFIER = DjlNatives.classifier();
    private static final String NATIVE = "pytorch/cpu/" + CLASSIFIER + "/";

    @TempDir
    static Path dir;
    static FakeNativeRepository repo;
    static Path home;
    static Path installed;

    @BeforeAll
    static void publish() throws Exception {
        repo = new FakeNativeRepository(dir.resolve("repo"));
        Map<String, FakeNativeRepository.Opener> cpu = new LinkedHashMap<>();
        for (String lib : bundledLibraries()) {
            cpu.put(lib, () -> resource(NATIVE + lib));
        }
        // stored (level 0) deflate blocks: a valid gzip stream with its CRC, without spending seconds compressing
        repo.publish(VERSION, "cpu", CLASSIFIER, cpu, Deflater.NO_COMPRESSION);
        Map<String, FakeNativeRepository.Opener> cuda = new LinkedHashMap<>();
        Random r = new Random(5);
        for (String lib : List.of("libtorch.so", "libc10.so", "libtorch_cpu.so", "libtorch_cuda.so",
                "libc10_cuda.so")) {
            byte[] b = new byte[20_000];
            r.nextBytes(b);
            cuda.put(lib, () -> new ByteArrayInputStream(b));
        }
        repo.publish(VERSION, "cu128", CLASSIFIER, cuda, Deflater.NO_COMPRESSION);
        home = dir.resolve("home");
    }

    @AfterAll
    static void stop() {
        repo.close();
    }

    /** The libraries the bundled native jar lists in its pytorch.properties. */
    static List<String> bundledLibraries() throws IOException {
        java.util.Properties p = new java.util.Properties();
        try (InputStream in = resource("native/lib/pytorch.properties")) {
            p.load(in);
        }
        return List.of(p.getProperty("libraries").split(","));
    }

    static InputStream resource(String name) throws IOException {
        InputStream in = EngineCommandTest.class.getClassLoader().getResourceAsStream(name);
        if (in == null) {
            throw new IOException("not on the class path: " + name);
        }
        return in;
    }

    static CliRun engine(String answer, int retries, String... args) {
        EngineCommand c = new EngineCommand(home, Map.of(NativeRepository.ENVIRONMENT, repo.base().toString()),
                new ByteArrayInputStream(answer.getBytes(StandardCharsets.UTF_8)), 0,
                new Downloader.Options(2, retries, Duration.ofMillis(10), Duration.ofSeconds(20), "install again"));
        String[] all = new String[args.length + 1];
        all[0] = "engine";
        System.arraycopy(args, 0, all, 1, args.length);
        return CliRun.with(c, all);
    }

    static EngineSettings settings() {
        return new EngineSettings(home);
    }

    @Test
    @Order(1)
    void infoReportsTheBundledCpuEngineAndAutoCpu() {
        CliRun r = engine("", 0, "info");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("libtorch:      " + VERSION + ", flavour cpu"), r.out());
        assertTrue(r.out().contains("device:        auto → cpu ("), r.out());
        assertTrue(r.out().contains("CUDA devices:  none"), r.out());
        assertTrue(r.out().contains("settings:      " + home.resolve(EngineSettings.FILE)), r.out());
    }

    @Test
    @Order(2)
    void anUnconfirmedInstallDownloadsNothing() {
        CliRun r = engine("n\n", 0, "install", "--flavor", "cpu");
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("Download and install it? [y/N]"), r.err());
        assertTrue(r.err().contains("to download from " + repo.base()), r.err());
        assertTrue(repo.gets(".gz").stream().allMatch(g -> g.contains("range=")), "only the 4-byte size probes: "
                + repo.gets(".gz"));
        assertTrue(settings().engine().isEmpty());
    }

    @Test
    @Order(3)
    void anInterruptedInstallResumesWhereItStopped() throws Exception {
        repo.cutNext.put("/libtorch_cpu.so.gz", new AtomicInteger(1));
        CliRun first = engine("", 0, "install", "--flavor", "cpu", "--yes");
        assertEquals(1, first.code(), first.out() + first.err());
        assertTrue(first.err().contains("install again to resume"), first.err());
        assertTrue(first.err().contains("the engine in use is unchanged"), first.err());
        assertTrue(settings().engine().isEmpty(), "nothing remembered after a failed install");
        Path engines = home.resolve("engines");
        String name = VERSION + "-cpu-" + CLASSIFIER;
        assertFalse(Files.exists(engines.resolve(name)), "nothing in place before the install is complete");
        Path part = engines.resolve(".partial-" + name).resolve("downloads").resolve("libtorch_cpu.so.gz.incomplete");
        long have = Files.size(part);
        assertTrue(have > 0, "the partial download is kept");

        repo.log.clear();
        CliRun second = engine("", 0, "install", "--flavor", "cpu", "--yes");
        assertEquals(0, second.code(), second.out() + second.err());
        assertTrue(second.err().contains("resuming at"), second.err());
        String sizeProbe = "range=bytes=" + (Files.size(repo.file(VERSION, "cpu", CLASSIFIER, "libtorch_cpu.so")) - 4)
                + "-";
        List<String> gets = repo.gets("libtorch_cpu.so.gz").stream().filter(g -> !g.endsWith(sizeProbe)).toList();
        assertEquals(List.of("GET /pytorch/" + VERSION + "/cpu/" + CLASSIFIER + "/native/lib/libtorch_cpu.so.gz range="
                + "bytes=" + have + "-"), gets, "one request, from where the first install stopped");
        installed = engines.resolve(name);
        assertTrue(second.out().contains("installed libtorch " + VERSION + " cpu in " + installed), second.out());
        // byte for byte what DJL extracted from the bundled jar for this JVM's own engine
        Path bundled = TorchEngine.get().loadedFrom();
        for (String lib : bundledLibraries()) {
            assertEquals(-1, Files.mismatch(bundled.resolve(lib), installed.resolve(lib)), lib);
        }
        assertEquals(installed, settings().engine().orElseThrow().dir());
        assertFalse(Files.exists(engines.resolve(".partial-" + name)), "the partial folder is gone");
    }

    @Test
    @Order(4)
    void aCorruptFileIsRejectedAndThePreviousEngineStays() throws Exception {
        Path gz = repo.file(VERSION, "cu128", CLASSIFIER, "libc10.so");
        byte[] b = Files.readAllBytes(gz);
        b[b.length / 2] ^= 0x5a;
        Files.write(gz, b);
        CliRun r = engine("", 0, "install", "--flavor", "cu128", "--yes");
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("libc10.so: the gzip data is corrupt"), r.err());
        assertTrue(r.err().contains("the engine in use is unchanged"), r.err());
        assertTrue(r.err().contains("warning: no NVIDIA driver was found"), r.err());
        Path engines = home.resolve("engines");
        assertFalse(Files.exists(engines.resolve(VERSION + "-cu128-" + CLASSIFIER)));
        try (Stream<Path> q = Files.list(engines.resolve(".partial-" + VERSION + "-cu128-" + CLASSIFIER)
                .resolve("quarantine"))) {
            assertEquals(1, q.filter(p -> p.getFileName().toString().startsWith("libc10.so.gz.")).count());
        }
        assertEquals(installed, settings().engine().orElseThrow().dir(), "the cpu engine is still remembered");
    }

    @Test
    @Order(5)
    void aChildJvmLoadsTheInstalledEngineFromTheSettingsAndDecomposes() throws Exception {
        Path model = TinyModel.build(dir.resolve("model"), 11);
        Path image = dir.resolve("in.png");
        PngLayerWriter.write(TinyModel.image(48, 40), image);
        Path inputs = dir.resolve("inputs.safetensors");
        float[] pos = new float[3 * TinyModel.TEXT_DIM];
        Random r = new Random(3);
        for (int i = 0; i < pos.length; i++) {
            pos[i] = (float) r.nextGaussian();
        }
        new SafetensorsWriter().putFloats("prompt_embeds", new long[] {1, 3, TinyModel.TEXT_DIM}, pos).write(inputs);
        Path out = dir.resolve("out");
        Path djlCache = dir.resolve("djl-cache");
        // no environment variable: the settings file in the child's Layered home alone leads DJL to the engine
        ChildJvm.Result child = ChildJvm.run(dir.resolve("child"), List.of("-Dlayered.home=" + home,
                "-DDJL_CACHE_DIR=" + djlCache), EngineProbe.class, 180, "--model", model.toString(), "--image",
                image.toString(), "--out", out.toString(), "--layers", "2", "--steps", "1", "--cfg", "1", "--seed",
                "3", "--inputs", inputs.toString());
        child.assertCompleted("DECOMPOSE-EXIT 0");
        String text = child.output();
        assertTrue(text.contains("loaded from:   " + installed), text);
        assertTrue(text.contains("because:       remembered in " + home.resolve(EngineSettings.FILE)), text);
        assertTrue(text.contains("device:        auto → cpu ("), text);
        assertTrue(text.contains("MAPPED " + installed.resolve("libtorch_cpu.so")), text);
        assertTrue(Files.isRegularFile(out.resolve("layer-2.png")), text);
        JsonObject m = JsonParser.parseString(Files.readString(out.resolve("manifest.json"))).getAsJsonObject();
        assertEquals("cpu", m.getAsJsonObject("settings").get("device").getAsString());
        // DJL never extracted its bundled CPU natives: the JNI for the installed flavour is all it put in its cache
        try (Stream<Path> cached = Files.list(djlCache.resolve("pytorch"))) {
            assertEquals(List.of(VERSION + "-cpu-" + CLASSIFIER), cached.map(c -> c.getFileName().toString())
                    .sorted().toList());
        }
        LibtorchFolder f = LibtorchFolder.inspect(installed, null, null);
        assertEquals("cpu", f.flavor());
    }

    @Test
    @Order(6)
    void useDefaultForgetsAndUseDirRemembersAFolder() {
        CliRun d = engine("", 0, "use", "default");
        assertEquals(0, d.code(), d.err());
        assertTrue(settings().engine().isEmpty());
        CliRun u = engine("", 0, "use", installed.toString());
        assertEquals(0, u.code(), u.err());
        assertTrue(u.out().contains("version and flavour from " + installed.resolve(LibtorchFolder.MARKER)), u.out());
        assertEquals(installed, settings().engine().orElseThrow().dir());
        CliRun bad = engine("", 0, "use", dir.resolve("model").toString());
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("no libtorch.so in " + dir.resolve("model")), bad.err());
        assertEquals(installed, settings().engine().orElseThrow().dir(), "a bad folder changes nothing");
        CliRun usage = engine("", 0, "use");
        assertEquals(2, usage.code());
        CliRun flavor = engine("", 0, "install", "--flavor", "cuda12");
        assertEquals(2, flavor.code());
        assertTrue(flavor.err().contains("--flavor must be auto, cpu or cuNNN"), flavor.err());
    }
}
