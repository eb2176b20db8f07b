package org.layered.engine.install;

import org.layered.engine.DriverVersion;

import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The oldest NVIDIA driver each CUDA version needs, for judging which CUDA build of libtorch a machine can run.
 *
 * <p>Source: NVIDIA, CUDA Toolkit Release Notes, Table 3 "CUDA Toolkit and Corresponding Driver Versions"
 * (docs.nvidia.com/cuda/cuda-toolkit-release-notes), the Linux x86_64 column, GA release of each version. The
 * newer "minor version compatibility" would let some builds run on older drivers, but not every kernel (PTX JIT)
 * works there, so the table's stricter minimum is used. Windows drivers are numbered differently; there, the
 * CUDA version the driver itself reports is used instead ({@link #cudaOf(String)}).
 */
public final class CudaDriverTable {
    /** CUDA version as {@code major * 10 + minor} (the {@code cuNNN} number) to the minimum Linux driver. */
    private static final NavigableMap<Integer, DriverVersion> MINIMUM = new TreeMap<>(Map.ofEntries(
            Map.entry(118, DriverVersion.parse("520.61.05")),
            Map.entry(120, DriverVersion.parse("525.60.13")),
            Map.entry(121, DriverVersion.parse("530.30.02")),
            Map.entry(122, DriverVersion.parse("535.54.03")),
            Map.entry(123, DriverVersion.parse("545.23.06")),
            Map.entry(124, DriverVersion.parse("550.54.14")),
            Map.entry(125, DriverVersion.parse("555.42.02")),
            Map.entry(126, DriverVersion.parse("560.28.03")),
            Map.entry(128, DriverVersion.parse("570.26")),
            Map.entry(129, DriverVersion.parse("575.51.03")),
            Map.entry(130, DriverVersion.parse("580.65.06"))));
    private static final Pattern CU = Pattern.compile("cu(\\d{3})");

    private CudaDriverTable() {}

    /** {@code cu128} to 128; -1 for anything else. */
    static int cudaNumber(String flavor) {
        Matcher m = CU.matcher(flavor == null ? "" : flavor);
        return m.matches() ? Integer.parseInt(m.group(1)) : -1;
    }

    /** {@code cu128} to {@code 12.8}. */
    public static String cudaOf(String flavor) {
        int n = cudaNumber(flavor);
        return n < 0 ? "?" : n / 10 + "." + n % 10;
    }

    /** The minimum Linux driver for a {@code cuNNN} flavour, if the table knows the version. */
    public static Optional<DriverVersion> minimumDriver(String flavor) {
        return Optional.ofNullable(MINIMUM.get(cudaNumber(flavor)));
    }

    /** The newest CUDA version the table lets this Linux driver run (e.g. {@code 12.8}), if any. */
    public static Optional<String> newestCuda(DriverVersion driver) {
        Integer best = null;
        for (Map.Entry<Integer, DriverVersion> e : MINIMUM.entrySet()) {
            if (driver.atLeast(e.getValue())) {
                best = e.getKey();
            }
        }
        return best == null ? Optional.empty() : Optional.of(best / 10 + "." + best % 10);
    }

    /** Whether {@code driver} meets the table's minimum for {@code flavor}; empty when the table does not know it. */
    public static Optional<Boolean> supports(DriverVersion driver, String flavor) {
        return minimumDriver(flavor).map(driver::atLeast);
    }
}
