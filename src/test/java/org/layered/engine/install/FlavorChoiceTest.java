package org.layered.engine.install;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layered.engine.DriverVersion;
import org.layered.engine.EngineException;
import org.layered.engine.NvidiaDriver;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * NVIDIA's driver table and the {@code auto} flavour, on fixture {@code /proc/driver/nvidia/version} texts read
 * through {@link NvidiaDriver#read} exactly as on a GPU machine.
 */
class FlavorChoiceTest {
    static final List<String> DJL_271 = List.of("cpu", "cu128");
    static final List<String> MANY = List.of("cpu", "cu118", "cu126", "cu128");

    @TempDir
    Path dir;

    private NvidiaDriver driver(String version) throws IOException {
        Path proc = Files.createDirectories(dir.resolve(version));
        Files.writeString(proc.resolve("version"), "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  " + version
                + "  Release Build  (dvs-builder@U16-I3-B03-4-3)  Thu Jan 23 05:19:12 UTC 2025\n");
        return NvidiaDriver.read(proc, c -> null);
    }

    private static NvidiaDriver none() {
        return NvidiaDriver.read(Path.of("/nonexistent/proc/driver/nvidia"), c -> null);
    }

    @Test
    void theTableGivesTheMinimumDriverOfEachCudaVersion() {
        assertEquals("570.26", CudaDriverTable.minimumDriver("cu128").orElseThrow().toString());
        assertEquals("560.28.03", CudaDriverTable.minimumDriver("cu126").orElseThrow().toString());
        assertEquals("520.61.05", CudaDriverTable.minimumDriver("cu118").orElseThrow().toString());
        assertEquals("580.65.06", CudaDriverTable.minimumDriver("cu130").orElseThrow().toString());
        assertTrue(CudaDriverTable.minimumDriver("cu101").isEmpty());
        assertTrue(CudaDriverTable.minimumDriver("cpu").isEmpty());
        assertEquals("12.9", CudaDriverTable.newestCuda(DriverVersion.parse("575.51.03")).orElseThrow());
        assertEquals("12.6", CudaDriverTable.newestCuda(DriverVersion.parse("565.57.01")).orElseThrow());
        assertTrue(CudaDriverTable.newestCuda(DriverVersion.parse("470.256.02")).isEmpty());
        assertEquals("12.8", CudaDriverTable.cudaOf("cu128"));
    }

    @Test
    void autoTakesTheNewestPublishedFlavourTheDriverRuns() throws IOException {
        FlavorChoice c = FlavorChoice.choose("auto", DJL_271, driver("570.124.06"), null, true);
        assertEquals("cu128", c.flavor());
        assertTrue(c.reason().contains("NVIDIA driver 570.124.06"), c.reason());
        assertTrue(c.reason().contains("cu128 needs driver ≥ 570.26 by NVIDIA's table"), c.reason());
        assertEquals("cu128", FlavorChoice.choose(null, DJL_271, driver("570.26"), null, true).flavor(),
                "exactly the minimum is enough");
        assertEquals("cu126", FlavorChoice.choose("auto", MANY, driver("560.35.03"), null, true).flavor());
        assertEquals("cu118", FlavorChoice.choose("auto", MANY, driver("535.104.05"), null, true).flavor());
    }

    @Test
    void autoSaysWhyItFallsBackToCpu() throws IOException {
        FlavorChoice old = FlavorChoice.choose("auto", DJL_271, driver("565.57.01"), null, true);
        assertTrue(old.isCpu());
        assertTrue(old.reason().contains("565.57.01 is older than any published CUDA build needs (cu128 needs driver "
                + "≥ 570.26"), old.reason());
        assertTrue(old.reason().contains("update the driver"), old.reason());
        FlavorChoice noDriver = FlavorChoice.choose("auto", DJL_271, none(), null, true);
        assertTrue(noDriver.isCpu());
        assertTrue(noDriver.reason().startsWith("no NVIDIA driver found"), noDriver.reason());
        assertEquals("no CUDA build is published for this platform", FlavorChoice.choose("auto", List.of("cpu"),
                driver("575.51.03"), null, true).reason());
    }

    @Test
    void elsewhereTheCudaVersionTheDriverReportsDecides() throws IOException {
        NvidiaDriver windows = NvidiaDriver.read(dir.resolve("no-proc"), c -> "NVIDIA GeForce RTX 4090, 572.16\n");
        assertEquals("cu128", FlavorChoice.choose("auto", MANY, windows, "12.8", false).flavor());
        assertEquals("cu126", FlavorChoice.choose("auto", MANY, windows, "12.6", false).flavor());
        FlavorChoice unknown = FlavorChoice.choose("auto", MANY, windows, null, false);
        assertTrue(unknown.isCpu(), "without the reported version nothing can be judged");
    }

    @Test
    void anExplicitFlavourIsTakenWithItsDoubtsOrRefusedWhenNotPublished() throws IOException {
        FlavorChoice forOtherMachine = FlavorChoice.choose("cu128", DJL_271, none(), null, true);
        assertEquals("cu128", forOtherMachine.flavor());
        assertTrue(forOtherMachine.warnings().get(0).startsWith("no NVIDIA driver was found"));
        FlavorChoice tooOld = FlavorChoice.choose("CU128", DJL_271, driver("550.54.14"), null, true);
        assertTrue(tooOld.warnings().get(0).contains("550.54.14 is older than cu128 needs (driver ≥ 570.26"),
                tooOld.warnings().toString());
        assertTrue(FlavorChoice.choose("cpu", DJL_271, driver("570.26"), null, true).warnings().isEmpty());
        EngineException e = assertThrows(EngineException.class, () -> FlavorChoice.choose("cu126", DJL_271, none(),
                null, true));
        assertTrue(e.getMessage().contains("published: cpu, cu128"), e.getMessage());
    }
}
