package org.layered.fiji;

import org.layered.pipeline.MemoryMode;
import org.layered.weights.residency.WeightFormat;

import org.junit.jupiter.api.Test;
import org.layered.layers.AutoLayerCount;
import org.layered.engine.DeviceSpec;
import org.layered.engine.Precision;
import org.layered.pipeline.DecomposeSettings;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.*;

/** The macro keys: parsing as ImageJ does, validation messages, and the recorded string round trip. */
class DecomposeOptionsTest {
    @Test
    void readsValuesLikeImageJ() {
        MacroOptions o = MacroOptions.parse("layers=3 prompt=[a red car] negative='blurry' cfg_normalize show "
                + "layers=9 output=[/a b/[c]]");
        assertEquals(3, o.integer("layers", 4, 1, 20), "first occurrence wins, as Macro.getValue");
        assertEquals("a red car", o.string("prompt", ""));
        assertEquals("blurry", o.string("negative", ""));
        assertTrue(o.bool("cfg_normalize", false), "a bare word is a true flag");
        assertTrue(o.bool("show", false));
        assertEquals("/a b/[c]", o.string("output", ""), "nested brackets");
        assertEquals("x", o.string("missing", "x"));
    }

    @Test
    void promptIsNotReadFromTheNegativeKey() {
        DecomposeOptions o = DecomposeOptions.parse("negative=[ugly] prompt=[a cat]");
        assertEquals("a cat", o.prompt());
        assertEquals("ugly", o.negative());
        assertEquals("", DecomposeOptions.parse("negative=[ugly]").prompt());
    }

    @Test
    void defaultsAreTheOfficialOnes() {
        DecomposeOptions o = DecomposeOptions.parse("");
        DecomposeSettings s = o.settings(null);
        assertEquals(DecomposeSettings.defaults().withPrompt(null, " "), s.withDevice(DeviceSpec.AUTO));
        assertNull(s.seed(), "blank seed = random");
        assertTrue(s.wantsCaption(), "blank prompt = automatic caption");
        assertEquals(" ", s.negativePrompt(), "blank negative = upstream's single space");
        assertTrue(o.hyperstack());
        assertFalse(o.layerImages());
        assertTrue(o.exporters().isEmpty(), "nothing is saved without an output folder");
        assertEquals("auto", o.precision());
        assertNull(o.precisionRequest(), "auto: the device's default (float32 on the CPU)");
        assertEquals(Precision.FLOAT32, DecomposeOptions.parse("precision=float32").precisionRequest());
    }

    @Test
    void everyKeyMapsToItsSetting() {
        DecomposeOptions o = DecomposeOptions.parse("model=/m layers=7 resolution=1024 steps=12 cfg=2.5 "
                + "cfg_normalize=false seed=99 prompt=[p q] negative=[n] device=cpu precision=bf16 "
                + "inputs=/i.safetensors hyperstack=false layer_images=true original_size=true output=/out "
                + "formats=png,ora memory=resident vram_gib=23.5 weights=fp8");
        DecomposeSettings s = o.settings(null);
        assertEquals(new DecomposeSettings(7, 1024, 12, 2.5, false, 99L, "p q", "n", DeviceSpec.CPU), s);
        assertEquals("/m", o.model());
        assertEquals("/i.safetensors", o.inputs());
        assertEquals(Precision.BFLOAT16, o.precisionRequest());
        assertFalse(o.hyperstack());
        assertTrue(o.layerImages());
        assertTrue(o.originalSize());
        assertEquals(2, o.exporters().size());
        assertEquals(MemoryMode.RESIDENT, o.memory().mode());
        assertEquals(WeightFormat.FP8, o.memory().format());
        assertEquals((long) (23.5 * (1L << 30)), o.memory().vramCap());
        assertEquals(o, DecomposeOptions.parse(o.toMacroString()), o.toMacroString());
        assertEquals(DecomposeOptions.KEYS.size(), o.toMacroString().split(" (?=[a-z_]+=)").length,
                "every key is recorded: " + o.toMacroString());
    }

    @Test
    void memoryKeysDefaultToAutoWithoutCapInBf16() {
        DecomposeOptions o = DecomposeOptions.parse("layers=2");
        assertEquals(MemoryOptions.defaults(), o.memory());
        assertEquals(MemoryMode.AUTO, o.memory().mode());
        assertEquals(WeightFormat.BF16, o.memory().format());
        assertNull(o.memory().vramCap());
        assertTrue(o.toMacroString().endsWith("memory=auto vram_gib=[] weights=bf16"), o.toMacroString());
    }

    @Test
    void recordedStringRoundTripsAndKeepsTextWithSpaces() {
        DecomposeOptions o = DecomposeOptions.defaults().withSeed("12")
                .withOutput("/tmp/out dir", "png,tiff");
        String s = o.toMacroString();
        assertTrue(s.contains("output=[/tmp/out dir]"), s);
        assertTrue(s.contains("cfg_normalize=true"), s);
        assertTrue(s.contains("seed=12"), s);
        assertEquals(o, DecomposeOptions.parse(s));
    }

    @Test
    void badValuesGiveOneClearLine() {
        assertMessage("layers must be between 1 and 20, got 0", "layers=0");
        assertMessage("layers must be a whole number, got 'four'", "layers=four");
        assertMessage("resolution must be 640 or 1024, got '800'", "resolution=800");
        assertMessage("cfg must be a number, got 'x'", "cfg=x");
        assertMessage("cfg_normalize must be true or false, got 'maybe'", "cfg_normalize=maybe");
        assertMessage("seed must be blank (random) or a whole number >= 0, got '-3'", "seed=-3");
        assertMessage("seed is out of range: at most 9223372036854775807, got '12345678901234567890'",
                "seed=12345678901234567890");
        assertMessage("unknown device 'tpu'", "device=tpu");
        assertMessage("unknown precision 'fp16': use auto, float32 or bf16", "precision=fp16");
        assertMessage("unknown layer export format 'gif'", "output=/o formats=png,gif");
        assertMessage("'[' without matching ']'", "prompt=[unclosed");
        assertMessage("max_layers must be between 1 and 20, got 30", "layers=auto max_layers=30");
        assertMessage("rois must be true or false, got 'some'", "rois=some");
        assertMessage("memory must be auto or resident, got 'always'", "memory=always");
        assertMessage("weights must be bf16 or fp8, got 'int8'", "weights=int8");
        assertMessage("vram_gib must be blank (the GPU's free memory) or a positive number of GiB, got '-2'",
                "vram_gib=-2");
    }

    @Test
    void layersAutoDecomposesAtMaxLayersAndRoundTrips() {
        DecomposeOptions o = DecomposeOptions.parse("layers=AUTO max_layers=6 rois=true");
        assertTrue(o.autoLayers());
        assertTrue(o.rois());
        assertEquals(6, o.settings(null).layers(), "decomposed at the maximum");
        assertEquals("auto", o.layerCount());
        String s = o.toMacroString();
        assertTrue(s.contains("layers=auto") && s.contains("max_layers=6") && s.contains("rois=true"), s);
        assertEquals(o, DecomposeOptions.parse(s));
        DecomposeOptions fixed = o.withLayerCount("3", 6);
        assertFalse(fixed.autoLayers());
        assertEquals(3, fixed.settings(null).layers());
        assertEquals(AutoLayerCount.DEFAULT_MAX_LAYERS, DecomposeOptions.defaults().maxLayers());
        assertFalse(DecomposeOptions.defaults().autoLayers());
        assertThrows(IllegalArgumentException.class, () -> o.withLayerCount("many", 6));
    }

    private static void assertMessage(String expected, String options) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DecomposeOptions.parse(options).validate());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
