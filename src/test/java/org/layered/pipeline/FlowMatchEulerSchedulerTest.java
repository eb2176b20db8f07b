package org.layered.pipeline;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layered.engine.DType;
import org.layered.engine.Ops;
import org.layered.engine.Tensor;
import org.layered.engine.TensorScope;
import org.layered.weights.config.ConfigException;
import org.layered.weights.config.JsonConfig;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Sigma schedules and Euler steps against the scheduler goldens. */
class FlowMatchEulerSchedulerTest {
    private static final double REL_TOL = 1e-6;

    private static FlowMatchEulerScheduler goldenScheduler() throws IOException {
        return new FlowMatchEulerScheduler(
                FlowMatchSchedulerConfig.read(GoldenFiles.resource("scheduler/scheduler_config.json")));
    }

    @Test
    void configIsTheLayeredOne() throws IOException {
        FlowMatchSchedulerConfig c = FlowMatchSchedulerConfig.read(GoldenFiles.resource("scheduler"));
        assertEquals(FlowMatchSchedulerConfig.layeredDefault(), c);
    }

    @Test
    void everyScheduleCase() throws IOException {
        FlowMatchEulerScheduler sched = goldenScheduler();
        Map<String, Double> mus = new HashMap<>();
        for (JsonElement e : GoldenFiles.json("scheduler/scheduler_golden.json").getAsJsonArray("cases")) {
            JsonObject o = e.getAsJsonObject();
            mus.put(o.get("key").getAsString(), o.get("mu").getAsDouble());
        }
        int cases = 0;
        try (GoldenFiles g = GoldenFiles.open("scheduler/scheduler_golden.safetensors")) {
            for (String name : g.names()) {
                if (!name.endsWith(".sigmas_in")) {
                    continue;
                }
                String key = name.substring(0, name.length() - ".sigmas_in".length());
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("steps(\\d+)_cond(\\d+)").matcher(key);
                assertTrue(m.matches(), key);
                int steps = Integer.parseInt(m.group(1));
                int tokens = Integer.parseInt(m.group(2));

                double[] in = FlowMatchEulerScheduler.layeredSigmaInputs(steps);
                assertArrayEquals(g.doubles(name), in, 0.0, key + " linspace");
                double mu = FlowMatchEulerScheduler.layeredMu(tokens);
                assertEquals(mus.get(key), mu, 0.0, key + " mu");

                FlowMatchEulerScheduler.Schedule s = sched.layeredSchedule(steps, tokens);
                float[] sig = s.sigmas();
                float[] ts = s.timesteps();
                float[] wantSig = g.floats(key + ".sigmas");
                float[] wantTs = g.floats(key + ".timesteps");
                double relS = maxRel(sig, wantSig);
                double relT = maxRel(ts, wantTs);
                System.out.printf("%-18s sigmas max rel %.3g (%d bit diffs), timesteps max rel %.3g (%d bit diffs)%n",
                        key, relS, GoldenFiles.bitDiffs(sig, wantSig), relT, GoldenFiles.bitDiffs(ts, wantTs));
                assertTrue(relS <= REL_TOL, key + " sigmas " + relS);
                assertTrue(relT <= REL_TOL, key + " timesteps " + relT);
                assertEquals(0f, sig[steps]);
                cases++;
            }
        }
        assertEquals(mus.size(), cases, "cases in safetensors vs json");
        assertTrue(cases >= 9);
    }

    @Test
    void eulerSteps() throws IOException {
        JsonObject meta = GoldenFiles.json("scheduler/scheduler_golden.json").getAsJsonObject("euler");
        int steps = meta.get("num_inference_steps").getAsInt();
        int tokens = meta.get("condition_tokens").getAsInt();
        FlowMatchEulerScheduler.Schedule sch = goldenScheduler().layeredSchedule(steps, tokens);
        try (GoldenFiles g = GoldenFiles.open("scheduler/scheduler_golden.safetensors");
             TensorScope s = TensorScope.open()) {
            Tensor sample = g.tensor("euler.sample_0");
            for (int i = 0; i < steps; i++) {
                assertEquals(g.floats("euler.timestep_" + i)[0], sch.timestep(i), 0f, "timestep " + i);
                // chain our own output, as the pipeline does
                sample = sch.step(i, g.tensor("euler.model_output_" + i), sample);
                String key = "euler.sample_" + (i + 1);
                assertArrayEquals(g.shape(key), sample.shape());
                double err = GoldenFiles.maxAbsDiff(sample.toFloats(), g.floats(key));
                System.out.printf("%-18s max |err| %.3g (%d bit diffs)%n", key, err,
                        GoldenFiles.bitDiffs(sample.toFloats(), g.floats(key)));
                assertEquals(0.0, err, 1e-6, key);
            }
        }
    }

    @Test
    void stepKeepsModelDtype() throws IOException {
        FlowMatchEulerScheduler.Schedule sch = goldenScheduler().layeredSchedule(3, 16);
        try (GoldenFiles g = GoldenFiles.open("scheduler/scheduler_golden.safetensors");
             TensorScope s = TensorScope.open()) {
            Tensor out = Ops.cast(g.tensor("euler.model_output_0"), DType.BF16);
            Tensor next = sch.step(0, out, Ops.cast(g.tensor("euler.sample_0"), DType.BF16));
            assertEquals(DType.BF16, next.dtype());
            double err = GoldenFiles.maxAbsDiff(next.toFloats(), g.floats("euler.sample_1"));
            assertTrue(err < 0.05, "bf16 step error " + err);
            assertThrows(IndexOutOfBoundsException.class, () -> sch.step(3, out, out));
        }
    }

    @Test
    void exponentialAndStaticShift() {
        // exp(0) = 1 gives 1 / (1 + (1/t - 1)) = t, up to float32 rounding
        FlowMatchEulerScheduler exp = new FlowMatchEulerScheduler(
                new FlowMatchSchedulerConfig(1000, 1.0, true, "exponential", 0));
        float[] sig = exp.schedule(FlowMatchEulerScheduler.layeredSigmaInputs(10), 0.0).sigmas();
        for (int i = 0; i < 10; i++) {
            assertEquals(1.0 - i / 10.0, sig[i], 1e-6);
        }
        // exponential with mu = ln(m) equals linear with mu = m
        FlowMatchEulerScheduler lin = new FlowMatchEulerScheduler(FlowMatchSchedulerConfig.layeredDefault());
        float[] a = exp.schedule(FlowMatchEulerScheduler.layeredSigmaInputs(20), Math.log(2.5)).sigmas();
        float[] b = lin.schedule(FlowMatchEulerScheduler.layeredSigmaInputs(20), 2.5).sigmas();
        for (int i = 0; i < a.length; i++) {
            assertEquals(b[i], a[i], 1e-6);
        }
        // static shift s behaves like the linear dynamic shift with mu = s
        FlowMatchEulerScheduler stat = new FlowMatchEulerScheduler(
                new FlowMatchSchedulerConfig(1000, 2.5, false, "linear", 0));
        float[] c = stat.schedule(FlowMatchEulerScheduler.layeredSigmaInputs(20), Double.NaN).sigmas();
        for (int i = 0; i < c.length; i++) {
            assertEquals(b[i], c[i], 1e-6);
        }
        // shift_terminal stretches the last sigma onto the terminal value
        FlowMatchEulerScheduler term = new FlowMatchEulerScheduler(
                new FlowMatchSchedulerConfig(1000, 1.0, true, "exponential", 0.02));
        float[] d = term.schedule(FlowMatchEulerScheduler.layeredSigmaInputs(20), 1.0).sigmas();
        assertEquals(0.02, d[19], 1e-6);
        assertEquals(1.0, d[0], 1e-6);
    }

    @Test
    void rejectsUnsupportedConfig(@TempDir Path dir) {
        assertConfigError(dir, "{\"use_karras_sigmas\": true}", "use_karras_sigmas");
        assertConfigError(dir, "{\"stochastic_sampling\": true}", "stochastic_sampling");
        assertConfigError(dir, "{\"invert_sigmas\": true}", "invert_sigmas");
        assertConfigError(dir, "{\"time_shift_type\": \"cosine\"}", "time_shift_type");
        assertConfigError(dir, "{\"shift_terminal\": true}", "shift_terminal");
        assertConfigError(dir, "{\"_class_name\": \"EulerDiscreteScheduler\"}", "EulerDiscreteScheduler");
        FlowMatchEulerScheduler dyn = new FlowMatchEulerScheduler(FlowMatchSchedulerConfig.layeredDefault());
        assertThrows(IllegalArgumentException.class, () -> dyn.schedule(new double[] {1.0}, Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> FlowMatchEulerScheduler.layeredSigmaInputs(0));
    }

    private static void assertConfigError(Path dir, String json, String expected) {
        JsonConfig c = JsonConfig.of(dir.resolve("scheduler_config.json"),
                JsonParser.parseString(json).getAsJsonObject());
        ConfigException e = assertThrows(ConfigException.class, () -> FlowMatchSchedulerConfig.from(c));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    private static double maxRel(float[] a, float[] b) {
        assertEquals(b.length, a.length);
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            double d = Math.abs((double) a[i] - b[i]) / Math.max(Math.abs((double) b[i]), 1e-30);
            m = Math.max(m, b[i] == 0 && a[i] == 0 ? 0 : d);
        }
        return m;
    }
}
