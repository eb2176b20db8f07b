package org.layered.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.*;

class HfCacheLayoutTest {
    @Test
    void hubCacheFollowsHuggingFaceHubPrecedence() {
        Path home = Path.of("/home/u");
        assertEquals(Path.of("/home/u/.cache/huggingface/hub"), HfCacheLayout.defaultHubCache(Map.of(), home));
        assertEquals(Path.of("/x/huggingface/hub"), HfCacheLayout.defaultHubCache(Map.of("XDG_CACHE_HOME", "/x"),
                home));
        assertEquals(Path.of("/hf/hub"), HfCacheLayout.defaultHubCache(Map.of("HF_HOME", "/hf", "XDG_CACHE_HOME",
                "/x"), home));
        assertEquals(Path.of("/legacy"), HfCacheLayout.defaultHubCache(Map.of("HF_HOME", "/hf",
                "HUGGINGFACE_HUB_CACHE", "/legacy"), home));
        assertEquals(Path.of("/cache"), HfCacheLayout.defaultHubCache(Map.of("HF_HOME", "/hf", "HF_HUB_CACHE",
                "/cache", "HUGGINGFACE_HUB_CACHE", "/legacy"), home));
        assertEquals(Path.of("/home/u/hf/hub"), HfCacheLayout.defaultHubCache(Map.of("HF_HOME", "~/hf"), home));
        assertEquals("https://huggingface.co", HfCacheLayout.endpoint(Map.of()));
        assertEquals("https://mirror.example", HfCacheLayout.endpoint(Map.of("HF_ENDPOINT",
                "https://mirror.example/")));
    }

    @Test
    void tokenFromTheEnvironmentOrTheTokenFile(@TempDir Path tmp) throws Exception {
        Path home = tmp.resolve("home");
        assertEquals(Optional.empty(), HfCacheLayout.token(Map.of(), home));
        Path defaultFile = Files.createDirectories(home.resolve(".cache/huggingface")).resolve("token");
        Files.writeString(defaultFile, "hf_file\n");
        assertEquals(Optional.of("hf_file"), HfCacheLayout.token(Map.of(), home));
        Path hfHome = Files.createDirectories(tmp.resolve("hfhome"));
        Files.writeString(hfHome.resolve("token"), "hf_home_token");
        assertEquals(Optional.of("hf_home_token"), HfCacheLayout.token(Map.of("HF_HOME", hfHome.toString()), home));
        Path custom = tmp.resolve("custom-token");
        Files.writeString(custom, " hf_custom ");
        assertEquals(Optional.of("hf_custom"), HfCacheLayout.token(Map.of("HF_HOME", hfHome.toString(),
                "HF_TOKEN_PATH", custom.toString()), home));
        assertEquals(Optional.of("hf_env"), HfCacheLayout.token(Map.of("HF_TOKEN", "hf_env", "HF_TOKEN_PATH",
                custom.toString()), home));
        assertEquals(Optional.of("hf_legacy"), HfCacheLayout.token(Map.of("HUGGING_FACE_HUB_TOKEN", "hf_legacy"),
                home));
    }

    @Test
    void namesAndSafety() {
        assertEquals("models--Qwen--Qwen-Image-Layered", HfCacheLayout.repoFolderName("Qwen/Qwen-Image-Layered"));
        HfCacheLayout l = new HfCacheLayout(Path.of("/c"));
        assertEquals(Path.of("/c/models--a--b/snapshots/0123456789abcdef0123456789abcdef01234567/x/y.json"),
                l.snapshotFile("a/b", "0123456789abcdef0123456789abcdef01234567", "x/y.json"));
        assertEquals(Path.of("/c/.locks/models--a--b/abcdef0123.lock"), l.lockFile("a/b", "abcdef0123"));
        for (String bad : new String[] {"../x", "/etc/passwd", "a/../../b", "a//b", "a\\b", "C:x", ""}) {
            assertThrows(IllegalArgumentException.class, () -> HfCacheLayout.checkRelativePath(bad), bad);
        }
        assertThrows(IllegalArgumentException.class, () -> l.blob("a/b", "../../etc"));
        assertEquals("abc", HfCacheLayout.normalizeEtag("W/\"abc\""));
        assertEquals("abc", HfCacheLayout.normalizeEtag("\"abc\""));
        assertTrue(HfCacheLayout.isSha256(FakeHub.sha256(new byte[1])));
        assertTrue(HfCacheLayout.isGitSha1(FakeHub.gitSha1(new byte[1])));
        // git's well-known hash of the empty blob
        assertEquals("e69de29bb2d1d6434b8b29ae775ad8c2e48c5391", FakeHub.gitSha1(new byte[0]));
    }
}
