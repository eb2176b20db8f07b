package org.layered.fiji;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.*;

/** Finding the Fiji or ImageJ folder the plugin runs in, from temporary folders. */
class FijiAppTest {
    @TempDir
    Path tmp;

    private static Optional<Path> folder(Map<String, String> props, String imagej) {
        return FijiApp.folder(props::get, () -> imagej);
    }

    @Test
    void theLaunchersPropertiesComeFirstAndOnlyAnInstallationCounts() throws Exception {
        Path fiji = Files.createDirectories(tmp.resolve("Fiji.app/plugins")).getParent();
        Files.createDirectories(fiji.resolve("jars"));
        Path notAnInstall = Files.createDirectories(tmp.resolve("somewhere"));
        assertEquals(Optional.of(fiji), folder(Map.of("fiji.dir", fiji.toString()), null));
        assertEquals(Optional.of(fiji), folder(Map.of("imagej.dir", notAnInstall.toString(), "ij.dir",
                fiji.toString()), notAnInstall.toString()), "a folder without plugins/ and jars/ is skipped");
        assertEquals(Optional.of(fiji), folder(Map.of("plugins.dir", fiji.resolve("plugins") + "/"), null));
        assertEquals(Optional.of(fiji), folder(Map.of(), fiji + "/"), "ImageJ 1.x's own idea of its folder");
        assertEquals(Optional.empty(), folder(Map.of(), notAnInstall.toString()), "the working folder of a test");

        Path imagej = Files.createDirectories(tmp.resolve("ImageJ/plugins")).getParent();
        assertEquals(Optional.empty(), folder(Map.of(), imagej.toString()));
        Files.writeString(imagej.resolve("ij.jar"), "");
        assertEquals(Optional.of(imagej), folder(Map.of(), imagej.toString()), "plain ImageJ: plugins/ and ij.jar");
    }

    @Test
    void outsideImageJThereIsNoModelsFolder() {
        assertEquals(Optional.empty(), FijiApp.modelsFolder(), "the test JVM is no Fiji");
        assertTrue(FijiApp.storeConfig() != null);
    }
}
