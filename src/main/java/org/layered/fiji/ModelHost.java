package org.layered.fiji;

import org.layered.engine.ComputeDevice;
import org.layered.engine.DeviceSpec;
import org.layered.engine.Precision;
import org.layered.engine.TorchEngine;
import org.layered.engine.Cancellation;
import org.layered.pipeline.DecomposePipeline;
import org.layered.pipeline.DecompositionPlan;
import org.layered.pipeline.ProgressListener;
import org.layered.weights.ModelFingerprint;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Keeps one model loaded between runs, on one thread of its own ({@code layered-engine}).
 *
 * <p>Why a thread of its own: ImageJ runs every command on a new thread, and a model is not meant for concurrent
 * runs (one 20B transformer fills the GPU). So the pipeline is opened, run and closed on this one thread, whose
 * context class loader is the plugin's (DJL finds its engine through it), and runs from several commands queue up
 * here, one at a time.
 *
 * <p>Before each run the loaded model's files are compared with what was loaded
 * ({@link DecomposePipeline#changedFiles}): a weight or config file rewritten, truncated or replaced since makes the
 * host load the model again, with one log line naming the file, instead of computing with stale weights.
 */
public final class ModelHost {
    private static final ModelHost SHARED = new ModelHost();

    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "layered-engine");
        t.setDaemon(true);
        t.setContextClassLoader(ModelHost.class.getClassLoader());
        return t;
    });

    // touched on the worker thread only
    private DecomposePipeline pipeline;
    private Path dir;
    private DeviceSpec spec;
    private Precision requested;
    private volatile String loaded;

    private ModelHost() {}

    public static ModelHost shared() {
        return SHARED;
    }

    /** A description of the loaded model, or null when none is loaded. */
    public String loaded() {
        return loaded;
    }

    /** Runs {@code body} with the pipeline for {@code modelDir} on {@code device}, loading it first if needed. */
    public interface PipelineTask<T> {
        T run(DecomposePipeline pipeline) throws Exception;
    }

    /** What a task gets on the engine thread before it has a pipeline: the device, and the pipeline for a plan. */
    public interface Session {
        /** The device the request resolved to. */
        ComputeDevice device();

        /** Whether the model kept loaded for this folder and device already holds its transformer's weights. */
        boolean transformerLoaded();

        /**
         * The pipeline for this folder and device following {@code plan}: the one kept loaded when its files are
         * unchanged and it holds (or will load) the transformer as the plan says, else the model opened anew.
         */
        DecomposePipeline pipeline(DecompositionPlan plan) throws IOException;
    }

    /** A task that plans its run before it asks for the pipeline. */
    public interface SessionTask<T> {
        T run(Session session) throws Exception;
    }

    /**
     * Runs {@code task} on the engine thread and waits for it. While waiting, an interrupt of the calling thread
     * triggers {@code cancel} (the run stops at its next step) and the wait goes on until the run has unwound.
     */
    public <T> T run(Path modelDir, DeviceSpec device, ProgressListener progress, Cancellation cancel,
            PipelineTask<T> task) throws Exception {
        return runPlanned(modelDir, device, null, progress, cancel, s -> task.run(s.pipeline(null)));
    }

    /**
     * As {@link #run(Path, DeviceSpec, ProgressListener, Cancellation, PipelineTask)}, the task planning first, the
     * model computing in {@code precision} (null: the device's default); a model kept loaded in another precision is
     * loaded again.
     */
    public <T> T runPlanned(Path modelDir, DeviceSpec device, Precision precision, ProgressListener progress,
            Cancellation cancel, SessionTask<T> task) throws Exception {
        return await(worker.submit(() -> {
            Path d = modelDir.toAbsolutePath().normalize();
            ComputeDevice resolved = TorchEngine.get().resolve(device);
            return task.run(new Session() {
                @Override
                public ComputeDevice device() {
                    return resolved;
                }

                @Override
                public boolean transformerLoaded() {
                    return pipeline != null && d.equals(dir) && device.equals(spec) && precision == requested
                            && pipeline.isTransformerLoaded();
                }

                @Override
                public DecomposePipeline pipeline(DecompositionPlan plan) throws IOException {
                    return ModelHost.this.pipeline(d, device, resolved, precision, plan, progress);
                }
            });
        }), cancel);
    }

    /** Closes the loaded model, if any, and frees its memory. */
    public void unload() throws Exception {
        await(worker.submit(() -> {
            closePipeline();
            return null;
        }), new Cancellation());
    }

    private static <T> T await(Future<T> f, Cancellation cancel) throws Exception {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return f.get(200, TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    // keep waiting
                } catch (InterruptedException e) {
                    interrupted = true;
                    cancel.cancel();
                } catch (ExecutionException e) {
                    Throwable c = e.getCause();
                    if (c instanceof Exception ex) {
                        throw ex;
                    }
                    if (c instanceof Error err) {
                        throw err;
                    }
                    throw e;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The pipeline kept loaded when it fits the request (null plan: any), else the model opened anew. */
    private DecomposePipeline pipeline(Path d, DeviceSpec device, ComputeDevice resolved, Precision precisionRequest,
            DecompositionPlan plan, ProgressListener progress) throws IOException {
        if (pipeline != null && d.equals(dir) && device.equals(spec) && precisionRequest == requested) {
            List<String> changed = pipeline.changedFiles();
            if (!changed.isEmpty()) {
                progress.note(ModelFingerprint.summary(changed) + " since the model was loaded from " + d
                        + "; reloading it");
            } else if (plan == null || pipeline.follow(plan)) {
                return pipeline;
            } else {
                progress.note("the memory plan holds the transformer otherwise for these settings; reloading it");
            }
        }
        closePipeline();
        progress.stage("load model");
        Precision precision = Precision.of(precisionRequest, resolved);
        pipeline = plan == null ? DecomposePipeline.open(d, resolved, precision, null)
                : DecomposePipeline.open(d, resolved, precision, plan, null);
        dir = d;
        spec = device;
        requested = precisionRequest;
        loaded = d + " on " + resolved + " (" + precision + ")";
        return pipeline;
    }

    private void closePipeline() throws IOException {
        DecomposePipeline p = pipeline;
        pipeline = null;
        dir = null;
        spec = null;
        requested = null;
        loaded = null;
        if (p != null) {
            p.close();
        }
    }
}
