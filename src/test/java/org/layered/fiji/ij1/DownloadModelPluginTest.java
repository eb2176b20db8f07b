package org.layered.fiji.ij1;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.layered.fiji.FijiFixtures;
import org.layered.store.FakeHub;
import org.layered.store.HfCacheLayout;
import org.layered.store.TinyHubModel;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Plugins > Layered > Download Model... and the missing-model message of Decompose, headless, as a macro runs them,
 * against the loopback {@link FakeHub} only.
 */
@Timeout(60)
class DownloadModelPluginTest {
    private static final TinyHubModel MODEL = TinyHubModel.build();

    @TempDir
    Path tmp;
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

    private String run(String options) throws Exception {
        DownloadModelPlugin p = new DownloadModelPlugin();
        return Ij1PluginHeadlessTest.runAsMacro(() -> p.run(""), null, options);
    }

    @Test
    void downloadsIntoTheCacheAndASecondRunDownloadsNothing() throws Exception {
        Path cache = tmp.resolve("hub");
        String options = "model=" + TinyHubModel.REPO + " cache=[" + cache + "] endpoint=" + hub.endpoint();
        String out = run(options);
        assertFalse(out.contains("error") || out.contains("Exception"), out);
        Path snap = new HfCacheLayout(cache).snapshotDir(TinyHubModel.REPO, TinyHubModel.COMMIT);
        for (Map.Entry<String, byte[]> e : MODEL.modelFiles().entrySet()) {
            Path f = snap.resolve(e.getKey());
            assertTrue(Files.isRegularFile(f), f.toString());
            assertArrayEquals(e.getValue(), Files.readAllBytes(f), e.getKey());
        }
        assertTrue(out.contains("model folder: " + snap), out);
        int gets = hub.requests("CDN GET").size();
        assertTrue(gets > 0);

        String again = run(options);
        assertEquals(gets, hub.requests("CDN GET").size(), "nothing downloaded again: " + again);
        assertTrue(again.contains(": 0 file(s) downloaded"), again);
    }

    @Test
    void insideFijiItDownloadsIntoTheModelsFolderAsPlainFiles() throws Exception {
        FijiFixtures.insideFiji(tmp.resolve("Fiji.app"), fiji -> {
            String out = run("model=" + TinyHubModel.REPO + " location=[Fiji models folder] endpoint="
                    + hub.endpoint());
            Path dir = fiji.resolve("models/Qwen-Image-Layered");
            assertTrue(out.contains("model folder: " + dir), out);
            for (Map.Entry<String, byte[]> e : MODEL.modelFiles().entrySet()) {
                assertFalse(Files.isSymbolicLink(dir.resolve(e.getKey())), e.getKey());
                assertArrayEquals(e.getValue(), Files.readAllBytes(dir.resolve(e.getKey())), e.getKey());
            }
            out = run("model=" + TinyHubModel.REPO + " location=desktop endpoint=" + hub.endpoint());
            assertTrue(out.contains("Layered: error: location must be Fiji models folder, Hugging Face cache, "
                    + "Plugin cache, got 'desktop'"), out);
        });
        assertEquals("model=default location=[Fiji models folder] endpoint=http://x", DownloadModelPlugin.options("",
                "Fiji models folder", "", "http://x"), "what the recorder writes");
    }

    @Test
    void aMissingRepositoryIsOneLine() throws Exception {
        String out = run("model=Nobody/NoSuchModel cache=[" + tmp.resolve("hub") + "] endpoint=" + hub.endpoint());
        assertTrue(out.contains("Layered: error: repository Nobody/NoSuchModel not found on " + hub.endpoint()), out);
        assertFalse(out.contains("\tat ") || out.contains("Exception"), out);
        assertEquals(1, out.lines().filter(l -> l.contains("error")).count(), out);

        out = run("endpoint=ftp://x");
        assertTrue(out.contains("Layered: error: endpoint must be an http(s) URL, got 'ftp://x'"), out);
    }

    @Test
    void decomposeWithAMissingModelNamesTheDownloadCommand() throws Exception {
        DecomposePlugin p = new DecomposePlugin();
        String out = Ij1PluginHeadlessTest.runAsMacro(() -> p.run(""), FijiFixtures.rgb("x", 8, 8),
                "model=Nobody/NoSuchModel steps=1 layers=1 cfg=1 device=cpu prompt=x");
        String line = Arrays.stream(out.split("\n")).filter(l -> l.contains("Layered: error:")).findFirst()
                .orElseThrow(() -> new AssertionError(out));
        assertTrue(line.contains("model Nobody/NoSuchModel not found"), line);
        assertTrue(line.contains("Plugins > Layered > Download Model..."), line);
        assertFalse(line.contains("layered.jar") || line.contains("--model"), "no command-line advice: " + line);
        assertFalse(out.contains("\tat ") || out.contains("Exception"), out);
        assertTrue(hub.log.isEmpty(), "no download without asking");
    }

    @Test
    void theMenuEntryIsRegistered() throws Exception {
        try (InputStream in = getClass().getResourceAsStream("/plugins.config")) {
            String config = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(config.contains("Plugins>Layered, \"Download Model...\", "
                    + "org.layered.fiji.ij1.DownloadModelPlugin(\"\")"), config);
        }
    }
}
