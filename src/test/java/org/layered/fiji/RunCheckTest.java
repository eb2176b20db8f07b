package org.layered.fiji;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layered.engine.Cancellation;
import org.layered.engine.ComputeDevice;
import org.layered.engine.DeviceChoice;
import org.layered.engine.DeviceSpec;
import org.layered.model.transformer.TransformerConfig;
import org.layered.pipeline.CpuTimeEstimate;
import org.layered.pipeline.DecomposeSettings;
import org.layered.pipeline.ProgressListener;
import org.layered.pipeline.ResolutionBucket;
import org.layered.pipeline.RunFlops;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Before a run: the device auto resolved to is logged (and goes into Info and the manifest), and a run that would
 * take hours on the CPU is announced with both numbers, and asked about when a person runs it.
 */
class RunCheckTest {
    @TempDir
    Path dir;

    @Test
    void theDeviceIsLoggedAndRecordedInInfoAndManifest() throws Exception {
        DecomposeOptions o = DecomposeOptions.parse(FijiFixtures.cheapOptions(1).replace("device=cpu", "device=auto")
                + " output=[" + dir + "]");
        List<String> log = new ArrayList<>();
        DecomposeJob job = new DecomposeJob(o, new PipelineDecomposer().withCheck(RunCheck.logging(log::add)), log::add);
        DecomposeJob.Outcome out = job.run(ImageConversion.current(FijiFixtures.rgb("dev", 32, 24)),
                ProgressListener.NONE, new Cancellation());
        String choice = out.run().deviceChoice();
        assertTrue(choice.startsWith("auto → cpu ("), choice);
        assertTrue(log.contains("Layered: device " + choice), log.toString());
        assertTrue(out.info().contains("Device: " + choice + ", FLOAT32"), out.info());
        JsonObject m = JsonParser.parseString(Files.readString(dir.resolve("dev").resolve("manifest.json")))
                .getAsJsonObject().getAsJsonObject("settings");
        assertEquals("cpu", m.get("device").getAsString());
        assertEquals(choice, m.get("device_choice").getAsString());
    }

    @Test
    void aDeclinedRunComputesNothing() {
        DecomposeOptions o = DecomposeOptions.parse(FijiFixtures.cheapOptions(1));
        List<DeviceChoice> seen = new ArrayList<>();
        List<String> stages = new ArrayList<>();
        DecomposeJob job = new DecomposeJob(o, new PipelineDecomposer().withCheck((device, slow) -> {
            seen.add(device);
            assertNull(slow, "the tiny model is no slow run");
            return false;
        }), s -> { });
        assertThrows(Cancellation.CancelledException.class, () -> job.run(ImageConversion.current(FijiFixtures.rgb("n",
                16, 16)), new ProgressListener() {
                    @Override
                    public void stage(String name) {
                        stages.add(name);
                    }
                }, new Cancellation()));
        assertEquals("cpu (requested)", seen.get(0).summary());
        assertTrue(stages.isEmpty(), "nothing ran: " + stages);
    }

    @Test
    void aSlowCpuRunIsAnnouncedWithBothNumbersAndAskedAbout() {
        DecomposeSettings s = DecomposeSettings.defaults();
        RunFlops f = RunFlops.of(TransformerConfig.released(), ResolutionBucket.forImage(640, 640, 640), s,
                RunFlops.TYPICAL_TEXT_TOKENS);
        CpuTimeEstimate slow = new CpuTimeEstimate(f, 1.72e11, f.seconds(1.72e11));
        assertTrue(slow.slow());
        DeviceChoice cpu = new DeviceChoice(DeviceSpec.AUTO, ComputeDevice.CPU, "libtorch 2.7.1 cpu is a CPU build");
        List<String> log = new ArrayList<>();
        List<String> asked = new ArrayList<>();
        assertFalse(RunCheck.asking(log::add, q -> asked.add(q) && false).proceed(cpu, slow));
        String q = asked.get(0);
        assertTrue(q.startsWith("This run would take about "), q);
        assertTrue(q.contains(" hours on the CPU: 20.2 PFLOP"), q);
        assertTrue(q.contains("PFLOP (50 steps x 2 forwards (CFG), 60 blocks of width 3072"), q);
        assertTrue(q.contains("at the 172 GFLOP/s this machine's matmul reaches"), q);
        assertTrue(q.endsWith("Run it on the CPU anyway?"), q);
        assertTrue(log.get(1).startsWith("Layered: warning: this run would take about"), log.toString());
        assertTrue(log.get(2).contains("cancelled at the time estimate"), log.toString());
        assertTrue(RunCheck.logging(log::add).proceed(cpu, slow), "macros and batches only log");
        assertTrue(RunCheck.asking(log::add, x -> false).proceed(cpu, null), "nothing asked about a quick run");
    }
}
