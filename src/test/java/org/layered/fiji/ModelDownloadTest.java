package org.layered.fiji;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.layered.store.DownloadProgress;
import org.layered.store.FakeHub;
import org.layered.store.HfCacheLayout;
import org.layered.store.ModelNotFoundException;
import org.layered.store.ModelStore;
import org.layered.store.ResolvedModel;
import org.layered.store.TinyHubModel;

import java.net.http.HttpClient;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The missing-model path of {@link ModelLocator}: the message, and the download offer of interactive runs. */
@Timeout(60)
class ModelDownloadTest {
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

    private ModelStore store() {
        return new ModelStore(new ModelStore.Config().userHome(tmp.resolve("home")).hubCache(tmp.resolve("hf"))
                .pluginCache(tmp.resolve("plugin")).endpoint(hub.endpoint()).proxy(HttpClient.Builder.NO_PROXY));
    }

    @Test
    void withoutAnOfferAMissingModelNamesTheDownloadCommand() {
        ModelStore s = store();
        DecomposeException e = assertThrows(DecomposeException.class, () -> new ModelLocator(() -> s).locate(""));
        String m = e.getMessage();
        assertTrue(m.startsWith("model Qwen/Qwen-Image-Layered not found (searched "), m);
        assertTrue(m.contains("download it (57.7 GB) with Plugins > Layered > Download Model..."), m);
        assertTrue(m.contains("Download Model... (model=Qwen/Qwen-Image-Layered)"), m);
        assertFalse(m.contains("layered.jar") || m.contains("--"), "no command-line advice: " + m);
        assertTrue(m.endsWith("(or set the model option to a model folder)"), m);
        assertFalse(m.contains("\n"), m);
        assertTrue(hub.log.isEmpty(), "never downloads by itself");
    }

    @Test
    void anAcceptedOfferDownloadsAndTheModelIsThenUsed() throws Exception {
        ModelStore s = store();
        List<String> asked = new ArrayList<>();
        ModelLocator locator = new ModelLocator(() -> s).withDownloadOffer((missing, store) -> {
            asked.add(ModelDownload.offer(missing));
            ModelDownload.fetch(store, missing.ref().toString(), DownloadProgress.NONE, () -> false);
            return true;
        });
        ModelLocator.Located found = locator.locate("default");
        assertEquals(List.of("Model Qwen/Qwen-Image-Layered not found \u2014 download it (57.7 GB) now?"), asked);
        assertEquals(new HfCacheLayout(tmp.resolve("hf")).snapshotDir(TinyHubModel.REPO, TinyHubModel.COMMIT)
                .toRealPath(), found.dir().toRealPath());
        // found locally now: no second offer
        assertEquals(found.dir(), locator.locate("").dir());
        assertEquals(1, asked.size());
    }

    @Test
    void insideFijiTheModelsFolderIsSearchedFirstAndOfferedWithItsFreeSpace() throws Exception {
        FijiFixtures.insideFiji(tmp.resolve("Fiji.app"), fiji -> {
            Path dir = fiji.resolve("models/Qwen-Image-Layered"); // copied in by hand: plain files
            for (java.util.Map.Entry<String, byte[]> e : MODEL.modelFiles().entrySet()) {
                java.nio.file.Files.createDirectories(dir.resolve(e.getKey()).getParent());
                java.nio.file.Files.write(dir.resolve(e.getKey()), e.getValue());
            }
            ModelLocator.Located found = ModelLocator.defaults().locate("");
            assertEquals(dir.toRealPath(), found.dir().toRealPath());
            assertTrue(found.description().contains("models folder"), found.description());

            ModelStore s = ModelDownload.store("", "", "fiji");
            assertEquals(fiji.resolve("models"), s.downloadCache());
            String places = ModelDownload.placesText(s);
            assertTrue(places.startsWith("Fiji models folder: " + fiji.resolve("models") + " ("), places);
            assertTrue(places.contains("\nHugging Face cache: ") && places.contains("\nPlugin cache: "), places);
            assertTrue(places.matches("(?s).*\\(\\d.*B free\\).*"), places);
            assertTrue(ModelDownload.destination(s).startsWith("the Fiji models folder, " + fiji.resolve("models")),
                    ModelDownload.destination(s));
        });
    }

    @Test
    void locationsAreReadByLabelOrShortNameAndOthersAreRefused() {
        assertEquals(ResolvedModel.Source.MODELS_FOLDER, ModelDownload.location("Fiji models folder"));
        assertEquals(ResolvedModel.Source.HF_CACHE, ModelDownload.location(" hugging face CACHE "));
        assertEquals(ResolvedModel.Source.PLUGIN_CACHE, ModelDownload.location("plugin"));
        assertNull(ModelDownload.location(""));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelDownload.location("desktop"));
        assertEquals("location must be Fiji models folder, Hugging Face cache, Plugin cache, got 'desktop'",
                e.getMessage());
        IllegalArgumentException outside = assertThrows(IllegalArgumentException.class,
                () -> ModelDownload.store("", "", "fiji"));
        assertEquals("there is no Fiji models folder outside Fiji; choose location=Hugging Face cache or Plugin "
                + "cache", outside.getMessage());
    }

    @Test
    void aDeclinedOfferGivesTheMessage() {
        ModelStore s = store();
        ModelLocator locator = new ModelLocator(() -> s).withDownloadOffer((missing, store) -> false);
        DecomposeException e = assertThrows(DecomposeException.class, () -> locator.locate("Qwen/Qwen-Image-Layered"));
        assertTrue(e.getMessage().contains(ModelDownload.MENU), e.getMessage());
        assertInstanceOf(ModelNotFoundException.class, e.getCause());
        assertTrue(hub.log.isEmpty());
    }
}
