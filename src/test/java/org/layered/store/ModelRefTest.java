package org.layered.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class ModelRefTest {
    @Test
    void repositoryIdsWithAndWithoutRevision() {
        ModelRef r = ModelRef.parse("Qwen/Qwen-Image-Layered");
        assertTrue(r.isRepo());
        assertFalse(r.isPath());
        assertEquals("Qwen/Qwen-Image-Layered", r.repo());
        assertNull(r.revision());
        ModelRef c = ModelRef.parse("Qwen/Qwen-Image-Layered@0123456789abcdef0123456789abcdef01234567");
        assertEquals("0123456789abcdef0123456789abcdef01234567", c.revision());
        assertEquals("v1.0", ModelRef.parse("a/b@v1.0").revision());
        assertTrue(ModelRef.parse("qwen-image-layered").isShortId());
        assertThrows(IllegalArgumentException.class, () -> ModelRef.parse("a/b@"));
        assertThrows(IllegalArgumentException.class, () -> ModelRef.parse("  "));
    }

    @Test
    void pathsAreFolders(@TempDir Path tmp) throws Exception {
        assertTrue(ModelRef.parse("/nonexistent/model").isPath());
        assertTrue(ModelRef.parse("./model").isPath());
        assertTrue(ModelRef.parse("a/b/c").isPath());
        assertTrue(ModelRef.parse("weights.safetensors").isPath());
        assertTrue(ModelRef.parse("C:\\models\\x").isPath());
        // an existing folder wins even when it looks like owner/name
        Path d = Files.createDirectories(tmp.resolve("Qwen/Qwen-Image-Layered"));
        assertTrue(ModelRef.parse(d.toString()).isPath());
        assertEquals(d, ModelRef.parse(d.toString()).path());
    }
}
