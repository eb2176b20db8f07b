package org.layered.store;

import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

class ModelDescriptorTest {
    @Test
    void theBuiltInDescriptorCarriesTheSpecFigures() {
        ModelDescriptor d = ModelDescriptor.find(ModelDescriptor.builtins(), "Qwen/Qwen-Image-Layered").orElseThrow();
        assertEquals(d.repo(), ModelDescriptor.find(ModelDescriptor.builtins(), "QWEN-IMAGE-layered").orElseThrow()
                .repo());
        assertEquals("qwen-image-layered", d.id());
        assertEquals("QwenImageLayeredPipeline", d.pipelineClass());
        assertEquals("Apache-2.0", d.licence().spdx());
        assertEquals("main", d.revision().effective());
        assertEquals(List.of("transformer", "text_encoder", "vae", "tokenizer", "processor", "scheduler"),
                d.components().stream().map(ModelDescriptor.Component::name).toList());
        ModelDescriptor.Component t = d.component("transformer").orElseThrow();
        assertEquals(20_430_407_232L, t.parameters());
        assertEquals(2 * t.parameters(), t.bytes(), "bf16: two bytes per parameter");
        assertEquals("QwenImageTransformer2DModel", t.className());
        assertTrue(t.configFiles().get(0).keys().contains("use_layer3d_rope"));
        ModelDescriptor.Component v = d.component("vae").orElseThrow();
        assertEquals(126_897_716L, v.parameters());
        assertEquals(2 * v.parameters(), v.bytes());
        assertTrue(v.configFiles().get(0).keys().contains("input_channels"));
        assertEquals(16.6e9, d.component("text_encoder").orElseThrow().bytes(), 0.05e9);
        assertEquals(57.7e9, d.weightBytes(), 0.1e9, "spec §1: total about 57.7 GB in bf16");
        assertEquals(57.7e9, d.approxDownloadBytes(), 0.1e9);
        assertEquals(28.85e9, d.parameters(), 0.05e9, "spec §13.1");
        assertFalse(d.component("processor").orElseThrow().required(), "only for auto-captioning");
        assertTrue(d.component("scheduler").orElseThrow().required());
        assertEquals("57.7 GB", Sizes.si(d.approxDownloadBytes()));
    }

    @Test
    void memoryNeedsExistPerDeviceAndDtype() {
        ModelDescriptor d = ModelDescriptor.builtins().get(0);
        assertFalse(d.memoryFor("cuda", "bf16").isEmpty());
        assertFalse(d.memoryFor("cuda", "fp32").isEmpty());
        assertFalse(d.memoryFor("cpu", null).isEmpty());
        assertTrue(d.memoryFor("cuda", "bf16").stream().anyMatch(m -> m.deviceBytes() >= 57_000_000_000L),
                "all resident needs the whole bf16 checkpoint on the GPU");
        assertTrue(d.memoryFor("cuda", "bf16").stream().allMatch(m -> m.basis() != null && m.note() != null));
    }

    @Test
    void allowPatternsSelectTheModelFilesOfTheListing() {
        ModelDescriptor d = ModelDescriptor.builtins().get(0);
        assertTrue(d.allows("model_index.json"));
        assertTrue(d.allows("transformer/diffusion_pytorch_model-00001-of-00009.safetensors"));
        assertTrue(d.allows("text_encoder/model.safetensors.index.json"));
        assertTrue(d.allows("tokenizer/vocab.json"));
        assertTrue(d.allows("README.md"));
        assertFalse(d.allows(".gitattributes"));
        assertFalse(d.allows("assets/teaser.png"));
        assertFalse(d.allows("transformer2/x.safetensors"));
        assertFalse(d.allows("sub/model_index.json"));
        assertEquals("transformer", d.componentOf("transformer/config.json").orElseThrow().name());
    }

    @Test
    void theShippedResourceIsIdenticalToTheTopLevelModelsFolder() throws Exception {
        Path models = Path.of("models");
        try (Stream<Path> s = Files.list(models)) {
            assertEquals(ModelDescriptor.BUILTIN_FILES.stream().sorted().toList(),
                    s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".json")).sorted().toList(),
                    "every descriptor in models/ is registered in BUILTIN_FILES");
        }
        for (String f : ModelDescriptor.BUILTIN_FILES) {
            Path src = Path.of("src/main/resources").resolve(ModelDescriptor.RESOURCE_DIR).resolve(f);
            assertArrayEquals(Files.readAllBytes(models.resolve(f)), Files.readAllBytes(src),
                    "models/" + f + " and " + src + " must be identical: copy one onto the other");
            try (InputStream in = ModelDescriptor.class.getClassLoader()
                    .getResourceAsStream(ModelDescriptor.RESOURCE_DIR + f)) {
                assertNotNull(in, "packaged on the class path");
                assertArrayEquals(Files.readAllBytes(models.resolve(f)), in.readAllBytes());
            }
        }
    }

    @Test
    void malformedDescriptorsAreRejectedWithTheirSource() {
        String good = """
                {"schema": 1, "id": "x", "repo": "o/n", "name": "X", "approx_download_bytes": 1,
                 "revision": {"default": "main", "policy": "track-branch"},
                 "licence": {"spdx": "MIT"}, "allow_patterns": ["*"],
                 "components": [{"name": "c", "folder": "c", "library": "l", "class": "K", "required": true,
                   "weights": false, "parameters": 0, "bytes": 0, "config_files": [], "weight_patterns": []}]}
                """;
        assertDoesNotThrow(() -> ModelDescriptor.parse(good, "good.json"));
        for (String[] bad : new String[][] {
                {good.replace("\"repo\": \"o/n\"", "\"repo\": \"nope\""), "owner/name"},
                {good.replace("\"folder\": \"c\"", "\"folder\": \"../escape\""), "unsafe"},
                {good.replace("\"schema\": 1", "\"schema\": 9"), "schema"},
                {good.replace("\"id\": \"x\",", ""), "missing 'id'"},
                {"[1, 2]", "not a JSON object"},
                {"{not json", "invalid model descriptor"}}) {
            ModelStoreException e = assertThrows(ModelStoreException.class,
                    () -> ModelDescriptor.parse(bad[0], "bad.json"));
            assertEquals(ModelStoreException.Reason.INVALID_DESCRIPTOR, e.reason());
            assertTrue(e.getMessage().startsWith("bad.json: ") && e.getMessage().contains(bad[1]), e.getMessage());
        }
    }
}
