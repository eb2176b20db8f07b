package org.layered.fiji.scijava;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.layered.fiji.FijiFixtures;
import org.layered.store.FakeHub;
import org.layered.store.HfCacheLayout;
import org.layered.store.TinyHubModel;
import org.scijava.Context;
import org.scijava.command.CommandInfo;
import org.scijava.command.CommandModule;
import org.scijava.command.CommandService;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The SciJava Download Model... command in a plain SciJava context, against the loopback {@link FakeHub} only. */
@Timeout(60)
class DownloadModelCommandTest {
    private static final TinyHubModel MODEL = TinyHubModel.build();
    static Context context;
    static CommandService commands;

    @TempDir
    Path tmp;
    private FakeHub hub;

    @BeforeAll
    static void startContext() {
        context = new Context();
        commands = context.service(CommandService.class);
    }

    @AfterAll
    static void stopContext() {
        context.dispose();
    }

    @BeforeEach
    void start() throws Exception {
        hub = new FakeHub();
        MODEL.publish(hub, TinyHubModel.REPO, TinyHubModel.COMMIT);
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    @Test
    void theCommandSitsUnderTheLayeredMenu() {
        CommandInfo info = commands.getCommand(DownloadModelCommand.class);
        assertEquals("Plugins > Layered > Download Model...", info.getMenuPath().getMenuString());
        assertTrue(info.canRunHeadless());
        assertNotNull(info.getInput("model"));
        assertNotNull(info.getInput("cache"));
        assertNotNull(info.getInput("location"));
        assertNotNull(info.getInput("endpoint"));
    }

    @Test
    void downloadsIntoTheCacheAndASecondRunDownloadsNothing() throws Exception {
        File cache = tmp.resolve("hub").toFile();
        CommandModule m = commands.run(DownloadModelCommand.class, false, "model", TinyHubModel.REPO,
                "cache", cache, "endpoint", hub.endpoint().toString()).get();
        assertFalse(m.isCanceled(), m.getCancelReason());
        Path snap = new HfCacheLayout(cache.toPath()).snapshotDir(TinyHubModel.REPO, TinyHubModel.COMMIT);
        assertEquals(snap.toFile(), m.getOutput("folder"));
        for (Map.Entry<String, byte[]> e : MODEL.modelFiles().entrySet()) {
            assertArrayEquals(e.getValue(), Files.readAllBytes(snap.resolve(e.getKey())), e.getKey());
        }
        int gets = hub.requests("CDN GET").size();
        assertTrue(gets > 0);

        m = commands.run(DownloadModelCommand.class, false, "model", "", "cache", cache,
                "endpoint", hub.endpoint().toString()).get(); // blank = the default model
        assertFalse(m.isCanceled(), m.getCancelReason());
        assertEquals(snap.toFile(), m.getOutput("folder"));
        assertEquals(gets, hub.requests("CDN GET").size(), "nothing downloaded again");
    }

    @Test
    void insideFijiTheModelsFolderIsAPlaceToDownloadTo() throws Exception {
        FijiFixtures.insideFiji(tmp.resolve("Fiji.app"), fiji -> {
            CommandModule m = commands.run(DownloadModelCommand.class, false, "model", TinyHubModel.REPO,
                    "location", "Fiji models folder", "endpoint", hub.endpoint().toString()).get();
            assertFalse(m.isCanceled(), m.getCancelReason());
            Path dir = fiji.resolve("models/Qwen-Image-Layered");
            assertEquals(dir.toFile(), m.getOutput("folder"));
            assertArrayEquals(MODEL.get(TinyHubModel.VAE), Files.readAllBytes(dir.resolve(TinyHubModel.VAE)));
        });
    }

    @Test
    void aMissingRepositoryCancelsWithOneLine() throws Exception {
        CommandModule m = commands.run(DownloadModelCommand.class, false, "model", "Nobody/NoSuchModel",
                "cache", tmp.resolve("hub").toFile(), "endpoint", hub.endpoint().toString()).get();
        assertTrue(m.isCanceled());
        String reason = m.getCancelReason();
        assertTrue(reason.startsWith("repository Nobody/NoSuchModel not found on " + hub.endpoint()), reason);
        assertFalse(reason.contains("\n") || reason.contains("Exception"), reason);
        assertNull(m.getOutput("folder"));
    }
}
