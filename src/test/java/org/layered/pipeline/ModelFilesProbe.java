package org.layered.pipeline;

import org.layered.engine.Cancellation;
import org.layered.engine.ComputeDevice;
import org.layered.engine.DType;
import org.layered.engine.DeviceSpec;
import org.layered.engine.Ops;
import org.layered.engine.Precision;
import org.layered.engine.Tensor;
import org.layered.engine.TensorScope;
import org.layered.image.RgbaImage;
import org.layered.model.transformer.QwenImageTransformer;
import org.layered.testing.TinyModel;
import org.layered.weights.residency.ResidencyPolicy;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Changes a tiny model's weight file under a loaded model, in a child JVM started by {@link ModelFilesChangeTest}:
 * with the old loader (native code reading the mapped file) these aborted the JVM with SIGBUS. Each scenario prints
 * one {@code SCENARIO name: ...} line with the outcome; an abort leaves the remaining lines missing.
 *
 * <ul>
 *   <li>{@code truncated-during-streamed-run}: weights streamed block by block, the transformer file cut in half
 *       after denoising step 1 of 2;</li>
 *   <li>{@code truncated-after-loading}: a float32 model (the old loader aliased such weights to the mapping for as
 *       long as the model stayed loaded) loaded, its transformer file cut in half, run;</li>
 *   <li>{@code resident-forward-after-truncation}: a resident float32 transformer computes a forward pass after its
 *       file was cut in half: its weights are copies in memory.</li>
 * </ul>
 */
public final class ModelFilesProbe {
    private ModelFilesProbe() {}

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("models");
        truncatedDuringStreamedRun(TinyModel.build(dir.resolve("streamed"), 7));
        truncatedAfterLoading(TinyModel.build(dir.resolve("f32"), 7, DType.F32));
        residentForwardAfterTruncation(TinyModel.build(dir.resolve("forward"), 7, DType.F32));
        System.out.println("PROBE-DONE");
    }

    static DecomposeSettings settings(int steps) {
        return new DecomposeSettings(1, 640, steps, 1.0, false, 5L, null, null, DeviceSpec.CPU);
    }

    static GivenInputs embeddings() {
        return new GivenInputs(new TextConditioning(Ops.seededNormal(3, new long[] {1, 4, TinyModel.TEXT_DIM},
                ComputeDevice.CPU), null), null, null);
    }

    static void truncateToHalf(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() / 2); // in place, as `cp smaller.safetensors file` does before writing
        }
    }

    private static void report(String scenario, Exception e) {
        System.out.println("SCENARIO " + scenario + ": " + e.getClass().getName() + ": "
                + String.valueOf(e.getMessage()).replace('\n', ' '));
    }

    private static void truncatedDuringStreamedRun(Path model) throws IOException {
        Path file = TinyModel.weights(model, "transformer");
        RgbaImage image = TinyModel.image(64, 64);
        ProgressListener cutAfterStep1 = new ProgressListener() {
            @Override
            public void stepEnd(int step, Tensor latents) {
                if (step == 1) {
                    try {
                        truncateToHalf(file);
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }
            }
        };
        try (DecomposePipeline p = DecomposePipeline.open(model, ComputeDevice.CPU, Precision.FLOAT32,
                ResidencyPolicy.streamed(), null); TensorScope s = TensorScope.open()) {
            p.run(image, settings(2), embeddings(), cutAfterStep1, new Cancellation());
            System.out.println("SCENARIO truncated-during-streamed-run: finished without an error");
        } catch (IOException | RuntimeException e) {
            report("truncated-during-streamed-run", e);
        }
    }

    private static void truncatedAfterLoading(Path model) throws IOException {
        try (DecomposePipeline p = DecomposePipeline.open(model, ComputeDevice.CPU, Precision.FLOAT32, null);
             TensorScope s = TensorScope.open()) {
            truncateToHalf(TinyModel.weights(model, "transformer"));
            try {
                p.run(TinyModel.image(64, 64), settings(1), embeddings(), ProgressListener.NONE, new Cancellation());
                System.out.println("SCENARIO truncated-after-loading: the run finished without an error");
            } catch (IOException | RuntimeException e) {
                report("truncated-after-loading", e);
            }
        }
    }

    private static void residentForwardAfterTruncation(Path model) throws IOException {
        try (QwenImageTransformer t = QwenImageTransformer.load(model.resolve("transformer"),
                QwenImageTransformer.Options.cpu().withResidency(ResidencyPolicy.resident()));
             TensorScope s = TensorScope.open()) {
            truncateToHalf(TinyModel.weights(model, "transformer"));
            ComputeDevice cpu = ComputeDevice.CPU;
            Tensor latents = Ops.seededNormal(1, new long[] {1, 3 * 4, t.config().inChannels()}, cpu);
            Tensor text = Ops.seededNormal(2, new long[] {1, 4, TinyModel.TEXT_DIM}, cpu);
            Tensor out = t.forward(latents, text, null, new float[] {0.5f}, new long[] {0}, 1, 2, 2);
            System.out.println("SCENARIO resident-forward-after-truncation: forward ok, finite "
                    + Ops.allFinite(out));
        }
    }
}
