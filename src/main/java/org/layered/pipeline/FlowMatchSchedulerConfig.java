package org.layered.pipeline;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import org.layered.weights.config.ConfigException;
import org.layered.weights.config.JsonConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The parts of a diffusers {@code FlowMatchEulerDiscreteScheduler} {@code scheduler_config.json} that change the
 * computed schedule. Options whose upstream code path is not ported (karras / exponential / beta sigmas, inverted
 * sigmas, stochastic sampling) are rejected when enabled, rather than silently ignored.
 *
 * @param numTrainTimesteps {@code num_train_timesteps} (timestep = sigma * this)
 * @param shift static shift, used only when dynamic shifting is off
 * @param useDynamicShifting whether {@code mu} shifts the sigmas (true for Qwen-Image-Layered)
 * @param timeShiftType {@code "linear"} (Layered) or {@code "exponential"}
 * @param shiftTerminal stretch target of the last sigma, or 0 when disabled ({@code false}/{@code null} upstream)
 */
public record FlowMatchSchedulerConfig(int numTrainTimesteps, double shift, boolean useDynamicShifting,
                                       String timeShiftType, double shiftTerminal) {
    public FlowMatchSchedulerConfig {
        if (numTrainTimesteps <= 0) {
            throw new IllegalArgumentException("num_train_timesteps must be positive, got " + numTrainTimesteps);
        }
        if (!"linear".equals(timeShiftType) && !"exponential".equals(timeShiftType)) {
            throw new IllegalArgumentException("time_shift_type must either be 'exponential' or 'linear', got '"
                    + timeShiftType + "'");
        }
        if (shiftTerminal != 0 && (shiftTerminal >= 1 || Double.isNaN(shiftTerminal))) {
            throw new IllegalArgumentException("shift_terminal must be below 1, got " + shiftTerminal);
        }
    }

    /** The released Qwen-Image-Layered configuration (linear dynamic shift, no terminal stretch). */
    public static FlowMatchSchedulerConfig layeredDefault() {
        return new FlowMatchSchedulerConfig(1000, 1.0, true, "linear", 0);
    }

    /** Reads a {@code scheduler_config.json} (file, or a folder holding one). */
    public static FlowMatchSchedulerConfig read(Path fileOrDir) throws IOException {
        Path file = Files.isDirectory(fileOrDir) ? fileOrDir.resolve("scheduler_config.json") : fileOrDir;
        return from(JsonConfig.read(file));
    }

    /** Validates and extracts the used keys; defaults are diffusers' constructor defaults. */
    public static FlowMatchSchedulerConfig from(JsonConfig c) throws ConfigException {
        String cls = c.string("_class_name", "FlowMatchEulerDiscreteScheduler");
        if (!cls.equals("FlowMatchEulerDiscreteScheduler")) {
            throw new ConfigException(c.file() + ": scheduler class '" + cls
                    + "' is not supported (only FlowMatchEulerDiscreteScheduler)");
        }
        // Options whose code paths are not ported: fail loudly instead of producing a different schedule.
        for (String key : new String[] {"use_karras_sigmas", "use_exponential_sigmas", "use_beta_sigmas",
            "invert_sigmas", "stochastic_sampling"}) {
            if (c.bool(key, false)) {
                throw new ConfigException(c.file() + ": '" + key + "': true is not supported by this port");
            }
        }
        int train = c.integer("num_train_timesteps", 1000);
        double shift = c.number("shift", 1.0);
        boolean dynamic = c.bool("use_dynamic_shifting", false);
        String type = c.string("time_shift_type", "exponential");
        double terminal = shiftTerminal(c);
        try {
            return new FlowMatchSchedulerConfig(train, shift, dynamic, type, terminal);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(c.file() + ": " + e.getMessage());
        }
    }

    /** Upstream tests {@code if self.config.shift_terminal:}, so false, null and 0 all mean off. */
    private static double shiftTerminal(JsonConfig c) throws ConfigException {
        JsonObject json = c.json();
        JsonElement e = json.get("shift_terminal");
        if (e == null || e.isJsonNull()) {
            return 0;
        }
        if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isBoolean()) {
            if (e.getAsBoolean()) {
                throw new ConfigException(c.file() + ": 'shift_terminal' must be false, null or a number, found true");
            }
            return 0;
        }
        return c.number("shift_terminal");
    }
}
