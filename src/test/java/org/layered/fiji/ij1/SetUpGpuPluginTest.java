package org.layered.fiji.ij1;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.layered.engine.DjlNatives;
import org.layered.engine.EngineSettings;
import org.layered.engine.install.FakeNativeRepository;
import org.layered.engine.install.NativeRepository;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Plugins > Layered > Set Up GPU... as macros run it (headless, never a dialog), against the loopback native
 * repository, with a Layered home of its own.
 */
@Timeout(120)
class SetUpGpuPluginTest {
    private static final String VERSION = DjlNatives.pytorchVersion();
    private static final String CLASSIFIER = DjlNatives.classifier();

    @TempDir
    Path tmp;
    private FakeNativeRepository repo;
    private String savedHome;
    private String savedRepository;

    @BeforeEach
    void start() throws Exception {
        repo = new FakeNativeRepository(tmp.resolve("repo"));
        savedHome = System.getProperty("layered.home");
        savedRepository = System.getProperty(NativeRepository.PROPERTY);
        System.setProperty("layered.home", tmp.resolve("home").toString());
        System.setProperty(NativeRepository.PROPERTY, repo.base().toString());
    }

    @AfterEach
    void stop() {
        restore("layered.home", savedHome);
        restore(NativeRepository.PROPERTY, savedRepository);
        repo.close();
    }

    private static void restore(String key, String value) {
        if (value == null) {
            System.clearProperty(key);
        } else {
            System.setProperty(key, value);
        }
    }

    private static String run(String options) throws Exception {
        SetUpGpuPlugin p = new SetUpGpuPlugin();
        return Ij1PluginHeadlessTest.runAsMacro(() -> p.run(""), null, options);
    }

    @Test
    void infoLogsTheEngineItsDevicesAndWhatAutoResolvesTo() throws Exception {
        String out = run("action=info");
        assertTrue(out.contains("Layered: libtorch:      " + VERSION + ", flavour cpu"), out);
        assertTrue(out.contains("Layered: device:        auto → cpu ("), out);
        assertTrue(out.contains("Layered: NVIDIA driver: "), out);
        assertFalse(out.contains("error"), out);
    }

    @Test
    void installsRemembersAndSaysWhatHappensAfterTheRestart() throws Exception {
        repo.publishRandom(VERSION, "cu126", CLASSIFIER, "libtorch.so", "libc10.so", "libtorch_cuda.so",
                "libc10_cuda.so");
        repo.publishJni(VERSION, DjlNatives.djlVersion(), CLASSIFIER, "cu126", DjlNatives.jniLibrary(),
                FakeNativeRepository.elf(2048));
        Path engines = tmp.resolve("engines");
        String out = run("action=install flavor=cu126 engines=[" + engines + "]");
        Path installed = engines.resolve(VERSION + "-cu126-" + CLASSIFIER);
        assertTrue(out.contains("Layered: installed libtorch " + VERSION + " cu126 in " + installed), out);
        assertTrue(out.contains("restart ImageJ to use it"), "this JVM runs another libtorch: " + out);
        assertTrue(out.contains("device auto will stay on the CPU") || out.contains("device auto then uses cuda:0"),
                out);
        assertTrue(out.contains("Layered: warning: no NVIDIA driver was found") || out.contains("older than"), out);
        EngineSettings settings = new EngineSettings(tmp.resolve("home"));
        assertEquals(installed, settings.engine().orElseThrow().dir());

        String back = run("action=default");
        assertTrue(back.contains("Layered: forgot the remembered engine"), back);
        assertTrue(settings.engine().isEmpty());
        String use = run("action=use folder=[" + installed + "]");
        assertTrue(use.contains("Layered: remembered libtorch " + VERSION + " cu126 in " + installed), use);
        assertEquals(installed, settings.engine().orElseThrow().dir());
    }

    @Test
    void aFailedInstallIsOneLineAndChangesNothing() throws Exception {
        repo.publishRandom(VERSION, "cu128", CLASSIFIER, "libtorch.so", "libc10.so", "libtorch_cuda.so",
                "libc10_cuda.so");
        Path gz = repo.file(VERSION, "cu128", CLASSIFIER, "libtorch_cuda.so");
        byte[] b = Files.readAllBytes(gz);
        b[b.length - 6] ^= 0x11; // inside the gzip trailer's CRC
        Files.write(gz, b);
        String out = run("action=install flavor=cu128 engines=[" + tmp.resolve("engines") + "]");
        assertTrue(out.contains("Layered: error: libtorch " + VERSION + " cu128: libtorch_cuda.so: the gzip data is "
                + "corrupt"), out);
        assertTrue(out.contains("run Set Up GPU... again to download it anew; the engine in use is unchanged"), out);
        assertFalse(out.contains("\tat "), out);
        assertTrue(new EngineSettings(tmp.resolve("home")).engine().isEmpty());
        String bad = run("action=use");
        assertTrue(bad.contains("Layered: error: action=use needs folder="), bad);
    }
}
