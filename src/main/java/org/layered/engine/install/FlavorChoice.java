package org.layered.engine.install;

import org.layered.engine.DriverVersion;
import org.layered.engine.EngineException;
import org.layered.engine.NvidiaDriver;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Which libtorch flavour to install: the one asked for, or for {@code auto} the newest published CUDA flavour the
 * machine's NVIDIA driver can run ({@link CudaDriverTable}), else {@code cpu} with the reason.
 *
 * @param flavor   {@code cpu} or {@code cuNNN}
 * @param reason   why this one, for the user
 * @param warnings doubts about an explicit choice (no driver here, driver too old)
 */
public record FlavorChoice(String flavor, String reason, List<String> warnings) {
    public FlavorChoice {
        warnings = List.copyOf(warnings);
    }

    /** Whether {@code auto} found no CUDA flavour this machine can run. */
    public boolean isCpu() {
        return flavor.equals("cpu");
    }

    /**
     * @param request    {@code auto}, {@code cpu} or {@code cuNNN} (null = auto)
     * @param published  the flavours the repository has for this platform
     * @param driver     the NVIDIA driver facts
     * @param driverCuda the newest CUDA version the driver reports itself (e.g. {@code 12.8}), or null; used where
     *                   the table does not apply (other operating systems, CUDA versions it lacks)
     * @param linux      whether the table's Linux driver numbers apply
     * @throws EngineException for a flavour that is not published
     */
    public static FlavorChoice choose(String request, List<String> published, NvidiaDriver driver, String driverCuda,
            boolean linux) {
        String r = request == null || request.isBlank() ? "auto" : request.strip().toLowerCase(Locale.ROOT);
        List<String> cuda = published.stream().filter(f -> CudaDriverTable.cudaNumber(f) > 0)
                .sorted(Comparator.comparingInt(CudaDriverTable::cudaNumber).reversed()).toList();
        if (!r.equals("auto")) {
            if (!published.contains(r)) {
                throw new EngineException("flavour " + r + " is not published for this libtorch and platform; "
                        + "published: " + String.join(", ", published) + " (or --flavor auto)");
            }
            List<String> warnings = new ArrayList<>();
            if (!r.equals("cpu")) {
                if (!driver.present()) {
                    warnings.add("no NVIDIA driver was found on this machine, so " + r + " cannot use a GPU here "
                            + "(fine when installing for another machine)");
                } else if (fits(driver, r, driverCuda, linux).map(ok -> !ok).orElse(false)) {
                    warnings.add("the NVIDIA driver " + driver.version() + " is older than " + r + " needs ("
                            + need(r, driverCuda, linux) + "): update the driver or the GPU will not be used");
                }
            }
            return new FlavorChoice(r, "asked for", warnings);
        }
        if (!driver.present()) {
            return new FlavorChoice("cpu", driver.source(), List.of());
        }
        for (String f : cuda) {
            Optional<Boolean> ok = fits(driver, f, driverCuda, linux);
            if (ok.orElse(false)) {
                return new FlavorChoice(f, "the newest published CUDA build that the NVIDIA driver " + driver.version()
                        + " runs (" + f + " needs " + need(f, driverCuda, linux) + ")", List.of());
            }
        }
        if (cuda.isEmpty()) {
            return new FlavorChoice("cpu", "no CUDA build is published for this platform", List.of());
        }
        String newest = cuda.get(0);
        return new FlavorChoice("cpu", "the NVIDIA driver " + driver.version() + " is older than any published CUDA "
                + "build needs (" + newest + " needs " + need(newest, driverCuda, linux) + "); update the driver to "
                + "use the GPU", List.of());
    }

    /** Whether the driver runs {@code flavor}: by the table on Linux, else by the CUDA version it reports. */
    private static Optional<Boolean> fits(NvidiaDriver driver, String flavor, String driverCuda, boolean linux) {
        if (linux) {
            Optional<Boolean> byTable = CudaDriverTable.supports(driver.version(), flavor);
            if (byTable.isPresent()) {
                return byTable;
            }
        }
        if (driverCuda == null) {
            return Optional.empty();
        }
        int have = CudaDriverTable.cudaNumber("cu" + driverCuda.replace(".", ""));
        return have < 0 ? Optional.empty() : Optional.of(CudaDriverTable.cudaNumber(flavor) <= have);
    }

    private static String need(String flavor, String driverCuda, boolean linux) {
        Optional<DriverVersion> min = CudaDriverTable.minimumDriver(flavor);
        if (linux && min.isPresent()) {
            return "driver ≥ " + min.get() + " by NVIDIA's table";
        }
        return "a driver for CUDA ≥ " + CudaDriverTable.cudaOf(flavor) + (driverCuda == null ? ""
                : "; this one reports CUDA " + driverCuda);
    }
}
