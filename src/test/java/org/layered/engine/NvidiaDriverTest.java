package org.layered.engine;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The NVIDIA driver facts read from fixture {@code /proc/driver/nvidia} folders and nvidia-smi outputs. */
class NvidiaDriverTest {
    /** Version file texts as the kernel modules write them (proprietary, open, aarch64, an old branch). */
    static final String PROPRIETARY = "NVRM version: NVIDIA UNIX x86_64 Kernel Module  570.124.06  Thu Feb 20 "
            + "23:18:21 UTC 2025\nGCC version:  gcc version 12.2.0 (Debian 12.2.0-14)\n";
    static final String OPEN = "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  575.51.03  Release Build  "
            + "(dvs-builder@U16-I3-D08-1-2)  Wed Apr 16 20:04:27 UTC 2025\nGCC version:  gcc version 11.4.0\n";
    static final String AARCH64 = "NVRM version: NVIDIA UNIX Open Kernel Module for aarch64  535.104.05  Release "
            + "Build  (dvs-builder@U16-T02-35-3)  Sat Aug 19 01:13:42 UTC 2023\n";
    static final String OLD = "NVRM version: NVIDIA UNIX x86_64 Kernel Module  470.256.02  Thu May  2 14:37:44 UTC "
            + "2024\n";

    @TempDir
    Path dir;

    /** A {@code /proc/driver/nvidia} folder with this version text and GPU information files. */
    static Path proc(Path dir, String version, String... models) throws IOException {
        Path p = Files.createDirectories(dir.resolve("nvidia"));
        Files.writeString(p.resolve("version"), version);
        for (int i = 0; i < models.length; i++) {
            Path g = Files.createDirectories(p.resolve("gpus").resolve(String.format("0000:%02x:00.0", 0x61 + i)));
            Files.writeString(g.resolve("information"), "Model: \t\t " + models[i] + "\nIRQ:   \t\t 171\nGPU UUID: "
                    + "\t GPU-a1b2\nBus Type: \t PCIe\nDevice Minor: \t " + i + "\nGPU Excluded:\t No\n");
        }
        return p;
    }

    private static String noSmi(String[] command) {
        return null;
    }

    @Test
    void readsTheVersionOfEveryKindOfKernelModuleAndTheGpuModels() throws IOException {
        NvidiaDriver d = NvidiaDriver.read(proc(dir.resolve("a"), PROPRIETARY, "NVIDIA H100 80GB HBM3",
                "NVIDIA H100 80GB HBM3"), NvidiaDriverTest::noSmi);
        assertTrue(d.present());
        assertEquals("570.124.06", d.version().toString());
        assertEquals(List.of("NVIDIA H100 80GB HBM3", "NVIDIA H100 80GB HBM3"), d.gpus());
        assertTrue(d.describe().startsWith("NVIDIA driver 570.124.06 (2 GPUs: NVIDIA H100 80GB HBM3"), d.describe());
        assertEquals("575.51.03", NvidiaDriver.read(proc(dir.resolve("b"), OPEN), NvidiaDriverTest::noSmi)
                .version().toString());
        assertEquals("535.104.05", NvidiaDriver.read(proc(dir.resolve("c"), AARCH64), NvidiaDriverTest::noSmi)
                .version().toString());
        assertEquals("470.256.02", NvidiaDriver.read(proc(dir.resolve("d"), OLD), NvidiaDriverTest::noSmi)
                .version().toString());
    }

    @Test
    void fallsBackToNvidiaSmiAndSaysWhenThereIsNoDriver() throws IOException {
        List<String> asked = new ArrayList<>();
        NvidiaDriver smi = NvidiaDriver.read(dir.resolve("absent"), c -> {
            asked.add(String.join(" ", c));
            return "NVIDIA GeForce RTX 4090, 572.16\nNVIDIA RTX A4000, 572.16\n";
        });
        assertEquals(List.of("nvidia-smi --query-gpu=name,driver_version --format=csv,noheader"), asked);
        assertEquals("572.16", smi.version().toString());
        assertEquals(List.of("NVIDIA GeForce RTX 4090", "NVIDIA RTX A4000"), smi.gpus());
        assertEquals("nvidia-smi", smi.source());

        // an unreadable version text is not taken for a driver either
        NvidiaDriver none = NvidiaDriver.read(proc(dir.resolve("e"), "something else entirely\n"),
                NvidiaDriverTest::noSmi);
        assertFalse(none.present());
        assertTrue(none.describe().startsWith("no NVIDIA driver found"), none.describe());
        assertFalse(NvidiaDriver.read(dir.resolve("absent"), c -> "NVIDIA-SMI has failed\n").present());
    }

    @Test
    void driverVersionsCompareNumericallyPartByPart() {
        assertTrue(DriverVersion.parse("570.124.06").atLeast(DriverVersion.parse("570.26")));
        assertFalse(DriverVersion.parse("565.90").atLeast(DriverVersion.parse("570.26")));
        assertTrue(DriverVersion.parse("535.104.05").compareTo(DriverVersion.parse("535.54.03")) > 0);
        assertEquals(DriverVersion.parse("570.26"), DriverVersion.parse("570.26.0"));
        assertEquals(DriverVersion.parse("570.26").hashCode(), DriverVersion.parse("570.26.0").hashCode());
        assertThrows(IllegalArgumentException.class, () -> DriverVersion.parse("r570"));
    }
}
