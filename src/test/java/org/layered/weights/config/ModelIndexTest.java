package org.layered.weights.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** model_index.json must be there and well-typed; each error names the file, the key and what to do. */
class ModelIndexTest {
    @TempDir
    Path dir;

    private Path index(String json) throws IOException {
        Files.writeString(dir.resolve("model_index.json"), json);
        return dir;
    }

    private ConfigException rejected(Path root, String... fragments) {
        ConfigException e = assertThrows(ConfigException.class, () -> ModelIndex.read(root));
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), () -> "'" + f + "' missing from: " + e.getMessage());
        }
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        return e;
    }

    @Test
    void readsComponentsAttributesAndComponentsDeclaredAbsent() throws IOException {
        ModelIndex m = ModelIndex.read(index("""
                {"_class_name": "QwenImageLayeredPipeline", "_diffusers_version": "0.36.0", "is_distilled": false,
                 "vae": ["diffusers", "AutoencoderKLQwenImage"], "processor": [null, null]}
                """));
        assertEquals("QwenImageLayeredPipeline", m.pipelineClass());
        assertTrue(m.declares("vae"));
        assertEquals("AutoencoderKLQwenImage", m.component("vae").orElseThrow().className());
        assertFalse(m.declares("processor"));
        assertFalse(m.declares("is_distilled"));
    }

    @Test
    void aFolderWithoutModelIndexIsRejectedWithWhatItProbablyIs() throws IOException {
        rejected(dir, dir.toString(), "no model_index.json", "give the folder that holds model_index.json");
        Path vae = Files.createDirectories(dir.resolve("vae"));
        Files.writeString(vae.resolve("config.json"), "{\"_class_name\": \"AutoencoderKLQwenImage\"}");
        rejected(vae, "the 'vae' component folder", "give the model folder above it");
        rejected(dir.resolve("nothing"), "model folder not found");
    }

    @Test
    void wrongTypesAreRejectedNamingFileAndKey() throws IOException {
        String file = dir.resolve("model_index.json").toString();
        rejected(index("[]"), file, "not a JSON object");
        rejected(index("{\"vae\": [\"diffusers\", \"AutoencoderKLQwenImage\"]}"), file, "'_class_name' must be");
        rejected(index("{\"_class_name\": 7}"), file, "'_class_name' must be", "found 7");
        rejected(index("{\"_class_name\": \"P\", \"vae\": \"diffusers\"}"), file,
                "'vae' must be [library, class]", "found \"diffusers\"");
        rejected(index("{\"_class_name\": \"P\", \"transformer\": [\"diffusers\", 3]}"), "'transformer' must be");
        rejected(index("{\"_class_name\": \"P\", \"extra\": [\"a\", \"b\", \"c\"]}"), "'extra' must be");
        rejected(index("{\"_class_name\": \"P\", \"tokenizer\": [\"transformers\", null]}"), "'tokenizer' must be");
    }
}
