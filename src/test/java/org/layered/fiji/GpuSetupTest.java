package org.layered.fiji;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layered.engine.LayeredHome;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.*;

/** Set Up GPU...'s options and where it installs inside Fiji. */
class GpuSetupTest {
    @TempDir
    Path dir;

    @Test
    void optionsReadAndRepeatTheMacroKeys() {
        GpuSetup.Options d = GpuSetup.Options.parse(MacroOptions.parse(""));
        assertEquals(new GpuSetup.Options("install", "auto", "", ""), d);
        GpuSetup.Options o = GpuSetup.Options.parse(MacroOptions.parse("action=install flavor=CU128 "
                + "engines=[/data/my engines]"));
        assertEquals("cu128", o.flavor());
        assertEquals("action=install flavor=cu128 engines=[/data/my engines]", o.toMacroString());
        assertEquals("action=use folder=[/opt/libtorch 2]", GpuSetup.Options.parse(MacroOptions.parse(
                "action=use folder=[/opt/libtorch 2]")).toMacroString());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> GpuSetup.Options.parse(MacroOptions.parse(
                "action=use"))).getMessage().contains("folder="));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> GpuSetup.Options.parse(MacroOptions.parse(
                "action=remove"))).getMessage().startsWith("action must be one of install, info, use, default"));
        assertThrows(IllegalArgumentException.class, () -> GpuSetup.Options.parse(MacroOptions.parse("flavor=cuda")));
    }

    @Test
    void enginesGoBesideFijiElseToTheLayeredHome() throws Exception {
        Path fiji = Files.createDirectories(dir.resolve("Fiji.app"));
        assertEquals(fiji.resolve("engines").resolve("layered"), GpuSetup.enginesFolder(Optional.of(fiji)));
        assertEquals(LayeredHome.enginesDir(), GpuSetup.enginesFolder(Optional.empty()), "outside Fiji");
    }
}
