package org.layered.fiji;

import org.layered.engine.DeviceChoice;
import org.layered.engine.TensorScope;
import org.layered.engine.CpuFeatures;
import org.layered.engine.Precision;
import org.layered.engine.TorchEngine;
import org.layered.pipeline.CpuTimeEstimate;
import org.layered.image.RgbaImage;
import org.layered.engine.Cancellation;
import org.layered.pipeline.DecomposePipeline;
import org.layered.pipeline.DecomposeSettings;
import org.layered.pipeline.DecompositionPlan;
import org.layered.pipeline.DecompositionPlanner;
import org.layered.pipeline.MemoryMode;
import org.layered.pipeline.Decomposition;
import org.layered.pipeline.GivenInputs;
import org.layered.pipeline.ProgressListener;
import org.layered.weights.residency.MemoryPlan;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The real {@link Decomposer}: the model found by {@link ModelLocator}, run on the {@link ModelHost}. Before a run,
 * its {@link RunCheck} is told the device and, on the CPU, the time estimate of a long run.
 */
public final class PipelineDecomposer implements Decomposer {
    private final ModelLocator locator;
    private final ModelHost host;
    private final RunCheck check;

    public PipelineDecomposer(ModelLocator locator, ModelHost host) {
        this(locator, host, (device, slow) -> true);
    }

    private PipelineDecomposer(ModelLocator locator, ModelHost host, RunCheck check) {
        this.locator = locator;
        this.host = host;
        this.check = check;
    }

    /** The same, telling (or asking) {@code check} before each run. */
    public PipelineDecomposer withCheck(RunCheck check) {
        return new PipelineDecomposer(locator, host, check);
    }

    /** The model found by {@code locator} (e.g. one offering downloads), run on the shared model host. */
    public PipelineDecomposer(ModelLocator locator) {
        this(locator, ModelHost.shared());
    }

    /** The default model store and the shared model host. */
    public PipelineDecomposer() {
        this(ModelLocator.defaults(), ModelHost.shared());
    }

    @Override
    public Run decompose(RgbaImage image, DecomposeOptions options, DecomposeSettings settings,
            ProgressListener progress, Cancellation cancel) throws DecomposeException {
        ModelLocator.Located model = locator.locate(options.model());
        Path inputs = options.inputsFile();
        if (inputs != null && !Files.isRegularFile(inputs)) {
            throw new DecomposeException("prompt embeddings file not found: " + inputs);
        }
        try {
            DeviceChoice device = TorchEngine.get().choose(settings.device());
            Precision requested = options.precisionRequest();
            Precision precision = Precision.of(requested, device.device());
            CpuTimeEstimate slow = device.device().isCuda() ? null
                    : CpuTimeEstimate.of(model.dir(), image.width(), image.height(), settings, precision);
            if (precision == Precision.BFLOAT16 && !device.device().isCuda()) {
                progress.note("Layered: " + CpuFeatures.current().bf16ComputeNote());
            }
            if (!check.proceed(device, slow != null && slow.slow() ? slow : null)) {
                throw new Cancellation.CancelledException();
            }
            MemoryOptions memory = options.memory();
            return host.runPlanned(model.dir(), settings.device(), requested, progress, cancel, session -> {
                try (TensorScope scope = TensorScope.open()) {
                    GivenInputs given = inputs == null ? GivenInputs.NONE : GivenInputs.read(inputs,
                            session.device());
                    DecompositionPlan plan = DecompositionPlanner.plan(model.dir(), image.width(), image.height(),
                            settings, given, memory.format(), memory.mode(), memory.vramCap(), session.device(),
                            requested, session.transformerLoaded());
                    progress.note("Layered: memory: " + plan.summary());
                    if (plan.plan().verdict() == MemoryPlan.Verdict.DOES_NOT_FIT
                            && memory.mode() == MemoryMode.AUTO) {
                        throw new DecomposeException("this run does not fit the memory there is: "
                                + plan.verdictLine().substring("verdict: does not fit (".length(),
                                plan.verdictLine().length() - 1) + " (memory=resident runs it anyway)");
                    }
                    DecomposePipeline pipeline = session.pipeline(plan);
                    Decomposition d = pipeline.run(image, settings, given, progress, cancel);
                    return new Run(d, model.dir(), model.description(), pipeline.device().toString(),
                            pipeline.precision().name(), device.summary(), plan);
                }
            });
        } catch (Cancellation.CancelledException | DecomposeException e) {
            throw e;
        } catch (OutOfMemoryError e) {
            throw new DecomposeException("out of memory while decomposing: " + e.getMessage() + ". Try fewer layers, "
                    + "resolution 640, a smaller image, or give ImageJ more memory (Edit > Options > Memory)", e);
        } catch (Exception e) {
            throw new DecomposeException(Messages.forImageJ(e), e);
        }
    }
}
