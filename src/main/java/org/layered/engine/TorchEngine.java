package org.layered.engine;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.pytorch.jni.LibUtils;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The one place that starts DJL's PyTorch engine and owns process-wide engine state: which libtorch is loaded
 * ({@link EngineSelection}, applied before DJL loads), offline mode, the pinned default engine, the class loader
 * DJL sees, the CUDA devices, device resolution and the TorchScript op library.
 *
 * <p>ImageJ 1.x loads plugins through its own class loader while the thread context class loader stays the
 * application loader; DJL finds engines through {@code ServiceLoader} on the context loader, and fills its engine
 * table once in a static initialiser. So every entry into DJL goes through {@link #call(Callable)}, which sets the
 * context loader to ours for the duration.
 */
public final class TorchEngine {
    private static volatile TorchEngine instance;

    private final EngineSelection selection;
    private final Engine engine;
    private final OpLibrary ops;
    private final OpLibrary oneDnnOps; // null unless oneDNN computes the CPU's float32 linear layers
    private final String linearKernelNote;
    private final Path loadedFrom;
    private final boolean cuda;
    private final Map<String, MatmulThroughput> throughput = new ConcurrentHashMap<>();
    private volatile CudaDevices cudaDevices;

    private TorchEngine() {
        this.selection = EngineSelection.current();
        this.engine = withOurLoader(() -> {
            // Offline before the first Engine touch: Engine's static initialiser otherwise phones home.
            System.setProperty("ai.djl.offline", System.getProperty("ai.djl.offline", "true"));
            System.setProperty("ai.djl.default_engine", "PyTorch");
            selection.apply(); // DJL reads PYTORCH_LIBRARY_PATH & co. once, when it loads libtorch
            NativeMemory.preferHugePages(); // read once by libtorch's CPU allocator, so before it loads
            Engine e = Engine.getEngine("PyTorch");
            JniUtils.setGradMode(false);
            return e;
        });
        this.loadedFrom = Path.of(LibUtils.getLibtorchPath()).toAbsolutePath().normalize();
        this.cuda = JniUtils.getFeatures().contains("CUDA");
        try {
            this.ops = withOurLoader(OpLibrary::load);
        } catch (RuntimeException ex) {
            throw new IllegalStateException("the TorchScript op library does not compile on libtorch "
                    + engine.getVersion() + ": " + ex.getMessage(), ex);
        }
        CpuFeatures cpu = CpuFeatures.current();
        LinearKernel kernel = LinearKernel.choose(cpu, System.getProperty(LinearKernel.PROPERTY));
        OpLibrary oneDnn = null;
        String note = "float32 linear layers on the CPU: " + kernel.label();
        if (kernel == LinearKernel.ONEDNN) {
            try {
                oneDnn = withOurLoader(() -> OpLibrary.load(LinearKernel.ONEDNN));
                note += System.getProperty(LinearKernel.PROPERTY) != null ? " (" + LinearKernel.PROPERTY + ")"
                        : " (an AMD CPU with full-width AVX-512, where MKL runs AVX2 kernels)";
            } catch (RuntimeException ex) {
                // a libtorch built without oneDNN: the default library computes them, as everywhere else
                note = "float32 linear layers on the CPU: " + LinearKernel.DEFAULT.label() + " (oneDNN's variant of "
                        + "the op library does not compile on this libtorch: " + ex.getMessage() + ")";
            }
        }
        this.oneDnnOps = oneDnn;
        this.linearKernelNote = note;
    }

    /** Starts the engine on first use (a few seconds the very first time: native libraries are extracted). */
    public static TorchEngine get() {
        TorchEngine e = instance;
        if (e == null) {
            synchronized (TorchEngine.class) {
                e = instance;
                if (e == null) {
                    try {
                        e = new TorchEngine();
                    } catch (IllegalStateException ex) {
                        throw new EngineException(ex.getMessage(), ex);
                    } catch (RuntimeException | LinkageError ex) {
                        EngineSelection s = EngineSelection.current();
                        throw new EngineException("could not start the PyTorch engine, " + s.describe() + " ("
                                + s.why() + "): " + ex.getMessage() + (s.source() == EngineSelection.Source.REMEMBERED
                                ? ". 'layered engine use default' (or Set Up GPU...) goes back to the bundled CPU "
                                + "engine" : "") + "; see README 'GPU and native libraries'.", ex);
                    }
                    instance = e;
                }
            }
        }
        return e;
    }

    /** Whether the engine has been started in this JVM (libtorch loaded). */
    public static boolean started() {
        return instance != null;
    }

    /**
     * When the engine set up now differs from the one loaded in this JVM: what is loaded and what will be after a
     * restart (a libtorch cannot be swapped in a running JVM); null when no restart is needed.
     */
    public static String restartNotice() {
        TorchEngine e = instance;
        if (e == null) {
            return null;
        }
        EngineSelection now = EngineSelection.current();
        if (now.sameEngine(e.selection) && (now.dir() == null || now.dir().equals(e.loadedFrom))) {
            return null;
        }
        return "libtorch is loaded from " + e.loadedFrom + " in this session; " + now.describe()
                + " is used after a restart";
    }

    /** The libtorch version in use, e.g. {@code 2.7.1}. */
    public String version() {
        return engine.getVersion();
    }

    /** How the libtorch in use was chosen. */
    public EngineSelection selection() {
        return selection;
    }

    /** The folder the libtorch in use was loaded from. */
    public Path loadedFrom() {
        return loadedFrom;
    }

    /** {@code cpu}, {@code cu128}, ...: the flavour of the libtorch in use ({@code cuda} when only that is known). */
    public String flavor() {
        return selection.flavor() != null ? selection.flavor() : cuda ? "cuda" : "cpu";
    }

    /**
     * A problem with the loaded engine worth telling: the selection's warning, or libtorch loaded from elsewhere
     * than selected (another plugin started DJL's PyTorch engine first); null when none.
     */
    public String warning() {
        if (selection.dir() != null && !selection.dir().toAbsolutePath().normalize().equals(loadedFrom)) {
            return "libtorch was loaded from " + loadedFrom + ", not from the selected " + selection.dir()
                    + " (something else started DJL's PyTorch engine first): restart to use the selected one";
        }
        return selection.warning();
    }

    /** Whether the libtorch in use is a CUDA build that found a usable device ({@code torch::cuda::is_available}). */
    public boolean hasCuda() {
        return cuda;
    }

    /**
     * The CUDA devices this libtorch can use, with free memory as of the first call; none for a CPU build. Asked
     * through the CUDA driver (libtorch numbers devices the same way), never through a CUDA toolkit.
     */
    public CudaDevices cudaDevices() {
        CudaDevices d = cudaDevices;
        if (d == null) {
            d = cuda ? CudaDevices.query(true) : CudaDevices.none("libtorch " + version() + " " + flavor()
                    + (flavor().startsWith("cu") ? " finds no usable CUDA device" : " is a CPU build"));
            cudaDevices = d;
        }
        return d;
    }

    /** Number of CUDA devices libtorch can use (0 on CPU builds). */
    public int gpuCount() {
        return cudaDevices().devices().size();
    }

    OpLibrary ops() {
        return ops;
    }

    /** The op library that computes a linear layer over {@code rows} rows of {@code x} ({@link LinearKernel}). */
    OpLibrary opsForLinear(Tensor x, long rows) {
        return oneDnnOps != null && LinearKernel.ONEDNN.computes(x, rows) ? oneDnnOps : ops;
    }

    /** Which library computes float32 linear layers on the CPU, and why, e.g. for a benchmark's header. */
    public String linearKernelNote() {
        return linearKernelNote;
    }

    /**
     * Resolves what the user asked for to a device that exists.
     *
     * @throws EngineException when CUDA was requested but is not available, with how to get it
     */
    public ComputeDevice resolve(DeviceSpec spec) {
        return choose(spec).device();
    }

    /**
     * Resolves a request and says why: {@code auto} takes {@code cuda:0} when libtorch has a CUDA device, else the
     * CPU; an explicit CUDA request that cannot be served is an error, never a silent CPU fallback.
     *
     * @throws EngineException when CUDA was requested but is not available, with how to get it
     */
    public DeviceChoice choose(DeviceSpec spec) {
        CudaDevices devices = cudaDevices();
        int gpus = devices.devices().size();
        return switch (spec.kind()) {
            case CPU -> new DeviceChoice(spec, ComputeDevice.CPU, "requested");
            case AUTO -> gpus > 0
                    ? new DeviceChoice(spec, new ComputeDevice(Device.gpu(0)), devices.device(0).brief())
                    : new DeviceChoice(spec, ComputeDevice.CPU, devices.problem());
            case CUDA -> {
                if (gpus == 0) {
                    throw new EngineException("device " + spec + " was requested but " + devices.problem()
                            + ". Set up a CUDA engine with Plugins > Layered > Set Up GPU... or 'layered engine "
                            + "install', or choose --device cpu");
                }
                if (spec.index() >= gpus) {
                    throw new EngineException("device " + spec + " does not exist: libtorch sees " + gpus
                            + " GPU(s), cuda:0 to cuda:" + (gpus - 1));
                }
                yield new DeviceChoice(spec, new ComputeDevice(Device.gpu(spec.index())),
                        devices.device(spec.index()).brief());
            }
        };
    }

    /**
     * The device choices for a dialog, without starting the engine when it has not started: the CUDA devices then
     * come from the driver, and only when the engine set up is a CUDA build.
     */
    public static DeviceMenu deviceMenu() {
        TorchEngine e = instance;
        CudaDevices devices;
        if (e != null) {
            devices = e.cudaDevices();
        } else {
            EngineSelection s = EngineSelection.current();
            devices = s.flavor() != null && s.flavor().startsWith("cu") ? CudaDevices.query(false)
                    : CudaDevices.none("the engine set up is the CPU libtorch");
        }
        List<DeviceMenu.Option> options = new ArrayList<>();
        options.add(new DeviceMenu.Option("auto", "auto"));
        options.add(new DeviceMenu.Option("cpu", "cpu"));
        for (CudaDevice d : devices.devices()) {
            options.add(new DeviceMenu.Option(d.key(), d.label()));
        }
        String note = devices.isEmpty() ? "auto = cpu: " + devices.problem() + " (Plugins > Layered > Set Up GPU...)"
                : "auto = " + devices.device(0).label();
        return new DeviceMenu(options, note);
    }

    /**
     * This machine's matmul speed on {@code device} (1024^3 in the device's precision, best and median of 5 after
     * 2 warm-ups; measured once per JVM and device, about a tenth of a second on a CPU).
     */
    public MatmulThroughput matmulThroughput(ComputeDevice device) {
        return matmulThroughput(device, Precision.defaultFor(device));
    }

    /** As {@link #matmulThroughput(ComputeDevice)}, in {@code precision}. */
    public MatmulThroughput matmulThroughput(ComputeDevice device, Precision precision) {
        return throughput.computeIfAbsent(device + " " + precision,
                k -> MatmulThroughput.measure(device, precision, 1024, 2, 5));
    }

    /**
     * Hands memory freed by closed tensors back to the operating system (glibc keeps freed blocks otherwise), so a
     * finished run leaves Fiji's footprint where it was. Call after a run's scopes are closed.
     */
    public void releaseFreedMemory() {
        NativeMemory.trim();
    }

    /** Runs {@code body} with the thread context class loader set to the loader that loaded this plugin. */
    public <T> T call(Callable<T> body) {
        return withOurLoader(body);
    }

    private static <T> T withOurLoader(Callable<T> body) {
        try {
            return ContextClassLoader.call(TorchEngine.class, body);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new EngineException(e.getMessage(), e);
        }
    }
}
