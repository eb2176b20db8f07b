package org.layered.engine;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

import java.util.concurrent.Callable;

/**
 * The one place that starts DJL's PyTorch engine and owns process-wide engine state: offline mode, the pinned
 * default engine, the class loader DJL sees, device resolution and the TorchScript op library.
 *
 * <p>ImageJ 1.x loads plugins through its own class loader while the thread context class loader stays the
 * application loader; DJL finds engines through {@code ServiceLoader} on the context loader, and fills its engine
 * table once in a static initialiser. So every entry into DJL goes through {@link #call(Callable)}, which sets the
 * context loader to ours for the duration.
 */
public final class TorchEngine {
    private static volatile TorchEngine instance;

    private final Engine engine;
    private final OpLibrary ops;

    private TorchEngine() {
        this.engine = withOurLoader(() -> {
            // Offline before the first Engine touch: Engine's static initialiser otherwise phones home.
            System.setProperty("ai.djl.offline", System.getProperty("ai.djl.offline", "true"));
            System.setProperty("ai.djl.default_engine", "PyTorch");
            NativeMemory.preferHugePages(); // read once by libtorch's CPU allocator, so before it loads
            Engine e = Engine.getEngine("PyTorch");
            JniUtils.setGradMode(false);
            return e;
        });
        try {
            this.ops = withOurLoader(OpLibrary::load);
        } catch (RuntimeException ex) {
            throw new IllegalStateException("the TorchScript op library does not compile on libtorch "
                    + engine.getVersion() + ": " + ex.getMessage(), ex);
        }
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
                        throw new EngineException("could not start the PyTorch engine (" + ex.getMessage() + "). "
                                + "Check that the pytorch-native jar for this platform or PYTORCH_LIBRARY_PATH is "
                                + "available; see README 'GPU and native libraries'.", ex);
                    }
                    instance = e;
                }
            }
        }
        return e;
    }

    /** The libtorch version in use, e.g. {@code 2.7.1}. */
    public String version() {
        return engine.getVersion();
    }

    /** Number of CUDA devices libtorch can see (0 on CPU-only builds). */
    public int gpuCount() {
        return engine.getGpuCount();
    }

    OpLibrary ops() {
        return ops;
    }

    /**
     * Resolves what the user asked for to a device that exists.
     *
     * @throws EngineException when CUDA was requested but is not available, with how to get it
     */
    public ComputeDevice resolve(DeviceSpec spec) {
        int gpus = gpuCount();
        return switch (spec.kind()) {
            case CPU -> ComputeDevice.CPU;
            case AUTO -> gpus > 0 ? new ComputeDevice(Device.gpu(0)) : ComputeDevice.CPU;
            case CUDA -> {
                if (gpus == 0) {
                    throw new EngineException("device " + spec + " was requested but libtorch " + version()
                            + " sees no CUDA GPU. This build uses the CPU libtorch; for CUDA set "
                            + "PYTORCH_LIBRARY_PATH to a CUDA libtorch 2.7.1 or let DJL fetch one (README, 'GPU'), "
                            + "or choose --device cpu.");
                }
                if (spec.index() >= gpus) {
                    throw new EngineException("device " + spec + " does not exist: libtorch sees " + gpus
                            + " GPU(s), cuda:0 to cuda:" + (gpus - 1));
                }
                yield new ComputeDevice(Device.gpu(spec.index()));
            }
        };
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
