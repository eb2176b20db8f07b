package org.layered.engine.install;

import org.layered.engine.CudaDevice;
import org.layered.engine.CudaDevices;
import org.layered.engine.DeviceSpec;
import org.layered.engine.EngineException;
import org.layered.engine.EngineSettings;
import org.layered.engine.LibtorchFolder;
import org.layered.engine.NvidiaDriver;
import org.layered.engine.TorchEngine;
import org.layered.store.DownloadProgress;
import org.layered.store.ModelStoreException;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * What {@code layered engine ...} and Plugins > Layered > Set Up GPU... do, in one place: report the engine in use,
 * plan and run an install, remember an engine (or forget it), and say what happens next (a libtorch cannot be
 * swapped in a running JVM).
 */
public final class EngineSetup {
    private final EngineSettings settings;
    private final EngineInstaller installer;
    private final String restartWhat;

    /**
     * @param settings    where the choice is remembered
     * @param installer   the installer, with its engines folder
     * @param restartWhat what must restart for a change to take effect, e.g. {@code Fiji}
     */
    public EngineSetup(EngineSettings settings, EngineInstaller installer, String restartWhat) {
        this.settings = settings;
        this.installer = installer;
        this.restartWhat = restartWhat;
    }

    public EngineSettings settings() {
        return settings;
    }

    public EngineInstaller installer() {
        return installer;
    }

    /**
     * The facts of {@code engine info}, one per line: the libtorch in use (version, flavour, folder, why), the
     * CUDA devices it sees, the NVIDIA driver, what {@code --device auto} resolves to. Starts the engine.
     */
    public List<String> report(NvidiaDriver driver) {
        TorchEngine e = TorchEngine.get();
        List<String> out = new ArrayList<>();
        out.add("libtorch:      " + e.version() + ", flavour " + e.flavor());
        out.add("loaded from:   " + e.loadedFrom());
        out.add("because:       " + e.selection().why());
        if (e.warning() != null) {
            out.add("warning:       " + e.warning());
        }
        CudaDevices devices = e.cudaDevices();
        if (devices.isEmpty()) {
            out.add("CUDA devices:  none (" + devices.problem() + ")");
        } else {
            out.add("CUDA devices:  " + devices.devices().size());
            for (CudaDevice d : devices.devices()) {
                out.add("  " + d.describe());
            }
        }
        out.add("NVIDIA driver: " + driverLine(driver, devices.driverCudaVersion()));
        out.add("GPU install:   " + installLine(driver));
        out.add("device:        " + e.choose(DeviceSpec.AUTO).summary());
        out.add("settings:      " + settings.file());
        out.add("engines:       " + installer.engines());
        String restart = TorchEngine.restartNotice();
        if (restart != null) {
            out.add("restart:       " + restart + ": restart " + restartWhat);
        }
        return out;
    }

    /** The driver, and the CUDA version it reports itself. */
    static String driverLine(NvidiaDriver driver, String reportedCuda) {
        return driver.describe() + (driver.present() && reportedCuda != null ? "; it reports CUDA " + reportedCuda
                : "");
    }

    /** What an install with flavour auto aims at: the newest CUDA build the driver runs by NVIDIA's table. */
    static String installLine(NvidiaDriver driver) {
        if (!driver.present()) {
            return "flavour auto would choose cpu: no NVIDIA driver (the bundled CPU libtorch is that already)";
        }
        return CudaDriverTable.newestCuda(driver.version()).map(c -> "flavour auto takes the newest published CUDA "
                + "build up to CUDA " + c + " (driver " + driver.version() + ", NVIDIA's table)")
                .orElse("flavour auto would choose cpu: driver " + driver.version() + " is older than any CUDA "
                        + "build in NVIDIA's table needs");
    }

    /** The install plan for a flavour request, with this machine's driver. */
    public EngineInstaller.Plan plan(String flavorRequest) throws ModelStoreException {
        NvidiaDriver driver = NvidiaDriver.probe();
        String reported = driver.present() ? CudaDevices.query(false).driverCudaVersion() : null;
        return installer.plan(flavorRequest, driver, reported);
    }

    /** Installs and remembers the engine; a failure leaves the remembered engine as it was. */
    public LibtorchFolder install(EngineInstaller.Plan plan, DownloadProgress progress, Duration interval,
            BooleanSupplier cancel) throws ModelStoreException {
        LibtorchFolder f = installer.install(plan, progress, interval, cancel);
        remember(f);
        return f;
    }

    /** Remembers a libtorch folder the user names (version and flavour detected unless given). */
    public LibtorchFolder use(Path dir, String version, String flavor) {
        LibtorchFolder f = LibtorchFolder.inspect(dir, version, flavor);
        remember(f);
        return f;
    }

    /** Forgets the remembered engine: the bundled CPU libtorch again. */
    public void useDefault() {
        try {
            settings.forget();
        } catch (IOException e) {
            throw new EngineException("cannot delete " + settings.file() + " (" + e.getMessage() + ")");
        }
    }

    private void remember(LibtorchFolder f) {
        try {
            settings.remember(f);
        } catch (IOException e) {
            throw new EngineException("cannot write " + settings.file() + " (" + e.getMessage() + ")");
        }
    }

    /** What happens next, after the remembered engine changed: now, or after a restart of {@code restartWhat}. */
    public String next() {
        String notice = TorchEngine.restartNotice();
        if (notice != null) {
            return "restart " + restartWhat + " to use it (" + notice + ")";
        }
        return TorchEngine.started() ? "it is already the engine in use" : "the next decomposition starts with it";
    }

    /** What device {@code auto} will use with {@code engine}, as far as the driver can tell now. */
    public static String afterwards(LibtorchFolder engine) {
        if (!engine.isCuda()) {
            return "device auto then uses the CPU";
        }
        CudaDevices d = CudaDevices.query(false);
        return d.isEmpty() ? "but " + d.problem() + ", so device auto will stay on the CPU"
                : "device auto then uses " + d.device(0).label();
    }
}
