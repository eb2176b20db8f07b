package org.layered.model.vae;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layered.engine.ComputeDevice;
import org.layered.engine.Precision;
import org.layered.weights.config.ConfigException;
import org.layered.weights.safetensors.SafetensorsFile;
import org.layered.weights.safetensors.TensorInfo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VaeConfigTest {
    @TempDir
    Path tmp;

    private static String tinyJson() throws IOException {
        return Files.readString(VaeGolden.dir().resolve("config.json"));
    }

    @Test
    void readsTheTinyGoldenConfig() throws IOException {
        VaeConfig c = VaeConfig.read(VaeGolden.dir());
        assertEquals(8, c.baseDim());
        assertEquals(16, c.zDim());
        assertArrayEquals(new int[] {1, 2, 4, 4}, c.dimMult());
        assertEquals(2, c.numResBlocks());
        assertEquals(4, c.inputChannels());
        assertEquals(8, c.spatialCompression());
        assertEquals(1.916, c.latentsStd()[15], 0);
        assertArrayEquals(new boolean[] {false, true, true}, c.temporalDownsample());
    }

    @Test
    void releasedConfigRoundTripsThroughJsonAndHasTheSpecParameterCount() throws IOException {
        VaeConfig released = VaeConfig.releasedLayered();
        Path dir = Files.createDirectories(tmp.resolve("released"));
        Files.writeString(dir.resolve("config.json"), released.toJson());
        assertEquals(released, VaeConfig.read(dir));
        assertEquals(96, released.baseDim());
        // model-spec section 13.1: 126,897,716 parameters (encoder 53.60 M, decoder 73.30 M)
        assertEquals(126_897_716L, VaeLayout.parameterCount(released));
    }

    @Test
    void missingKeysTakeTheUpstreamClassDefaults() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("defaults"));
        Files.writeString(dir.resolve("config.json"), "{\"_class_name\": \"AutoencoderKLQwenImage\"}");
        VaeConfig c = VaeConfig.read(dir);
        assertEquals(96, c.baseDim());
        assertEquals(3, c.inputChannels()); // the class default; the Layered config says 4
        assertArrayEquals(VaeConfig.DEFAULT_MEAN, c.latentsMean());
    }

    @Test
    void layoutMatchesTheGoldenCheckpointExactly() throws IOException {
        Map<String, long[]> expected = VaeLayout.parameterShapes(VaeConfig.read(VaeGolden.dir()));
        Map<String, String> want = new TreeMap<>();
        expected.forEach((k, v) -> want.put(k, Arrays.toString(v)));
        Map<String, String> have = new TreeMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(VaeGolden.dir().resolve("diffusion_pytorch_model.safetensors"))) {
            for (TensorInfo t : f.tensors()) {
                have.put(t.name(), Arrays.toString(t.shape()));
            }
        }
        assertEquals(194, have.size());
        assertEquals(want, have);
    }

    private Path configWith(String name, String from, String to) throws IOException {
        String json = tinyJson();
        assertTrue(json.contains(from), "fixture: " + from);
        Path dir = Files.createDirectories(tmp.resolve(name));
        Files.writeString(dir.resolve("config.json"), json.replace(from, to));
        return dir;
    }

    private String configError(String name, String from, String to) throws IOException {
        Path dir = configWith(name, from, to);
        String msg = assertThrows(ConfigException.class, () -> VaeConfig.read(dir)).getMessage();
        System.out.println("config error: " + msg);
        assertTrue(msg.contains(dir.resolve("config.json").toString()), "names the file: " + msg);
        return msg;
    }

    @Test
    void validationMessagesNameTheKeyAndTheProblem() throws IOException {
        assertTrue(configError("zdim", "\"z_dim\": 16", "\"z_dim\": 8").contains("'latents_mean' must have z_dim = 8"));
        assertTrue(configError("temporal", "false,\n    true,\n    true", "false,\n    true")
                .contains("'temperal_downsample' must have len(dim_mult)-1 = 3 entries, found 2"));
        assertTrue(configError("std", "1.916", "0.0").contains("'latents_std' entries must be positive"));
        assertTrue(configError("base", "\"base_dim\": 8", "\"base_dim\": -8").contains("'base_dim' must be positive"));
        assertTrue(configError("type", "\"base_dim\": 8", "\"base_dim\": \"eight\"").contains("'base_dim'"));
        assertTrue(configError("class", "AutoencoderKLQwenImage", "QwenImageTransformer2DModel")
                .contains("expected 'AutoencoderKLQwenImage'"));
        assertTrue(configError("res", "\"num_res_blocks\": 2", "\"num_res_blocks\": 0")
                .contains("'num_res_blocks' must be at least 1"));
        Path none = Files.createDirectories(tmp.resolve("none"));
        assertTrue(assertThrows(ConfigException.class, () -> VaeConfig.read(none)).getMessage().contains("not found"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new VaeConfig(8, 16,
                new int[] {1, 2}, 2, new double[0], new boolean[] {true, true}, 4, VaeConfig.DEFAULT_MEAN,
                VaeConfig.DEFAULT_STD));
        assertTrue(e.getMessage().contains("temperal_downsample"), e.getMessage());
    }

    private String loadError(String name, String from, String to) throws IOException {
        Path dir = configWith(name, from, to);
        Files.copy(VaeGolden.dir().resolve("diffusion_pytorch_model.safetensors"),
                dir.resolve("diffusion_pytorch_model.safetensors"));
        String msg = assertThrows(IOException.class,
                () -> RgbaVae.load(dir, ComputeDevice.CPU, Precision.FLOAT32).close()).getMessage();
        System.out.println("load error: " + msg);
        return msg;
    }

    @Test
    void aConfigThatDoesNotMatchTheWeightsFailsNamingTheTensor() throws IOException {
        String m = loadError("wide", "\"base_dim\": 8", "\"base_dim\": 16");
        assertTrue(m.contains("encoder.conv_in.weight has shape [8, 4, 3, 3, 3], expected [16, 4, 3, 3, 3]"), m);
        assertTrue(m.contains("do not match its config.json (base_dim=16"), m);
        m = loadError("rgb", "\"input_channels\": 4", "\"input_channels\": 3");
        assertTrue(m.contains("encoder.conv_in.weight"), m);
        m = loadError("fewer", "\"num_res_blocks\": 2", "\"num_res_blocks\": 1");
        assertTrue(m.contains("missing ") || m.contains("has shape"), m);
        m = loadError("no-time", "false,\n    true,\n    true", "false,\n    false,\n    false");
        assertTrue(m.contains("the config does not account for") && m.contains("time_conv"), m);
    }
}
