package org.layered.fiji;

import org.layered.engine.DeviceChoice;
import org.layered.pipeline.CpuTimeEstimate;

import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * What a front end is told before a decomposition starts: the device the request resolved to and, for a run that
 * would take long on the CPU, the estimate. An interactive front end may ask the person whether to go on; macros,
 * headless runs and batches only log.
 */
@FunctionalInterface
public interface RunCheck {
    /**
     * @param device  what the device request resolved to, and why
     * @param slowCpu the estimate of a run that would take long on the CPU, or null
     * @return false to stop before anything is computed
     */
    boolean proceed(DeviceChoice device, CpuTimeEstimate slowCpu);

    /** Logs the device and any slow-CPU warning; never asks. */
    static RunCheck logging(Consumer<String> log) {
        return (device, slow) -> {
            log.accept("Layered: device " + device.summary());
            if (slow != null) {
                log.accept("Layered: warning: " + slow.message());
            }
            return true;
        };
    }

    /** Logs, and before a slow CPU run asks {@code confirm} (the question; true = go on). */
    static RunCheck asking(Consumer<String> log, Predicate<String> confirm) {
        RunCheck logged = logging(log);
        return (device, slow) -> {
            logged.proceed(device, slow);
            if (slow == null) {
                return true;
            }
            String m = slow.message();
            boolean go = confirm.test(Character.toUpperCase(m.charAt(0)) + m.substring(1) + ".\n\nRun it on the CPU "
                    + "anyway?");
            if (!go) {
                log.accept("Layered: not run on the CPU (cancelled at the time estimate)");
            }
            return go;
        };
    }
}
