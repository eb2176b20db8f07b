package org.layered.fiji;

import org.layered.engine.Cancellation;
import org.layered.engine.ComputeDevice;
import org.layered.engine.DeviceSpec;
import org.layered.engine.Ops;
import org.layered.engine.Precision;
import org.layered.engine.TensorScope;
import org.layered.image.RgbaImage;
import org.layered.pipeline.DecomposePipeline;
import org.layered.pipeline.DecomposeSettings;
import org.layered.pipeline.GivenInputs;
import org.layered.pipeline.ProgressListener;
import org.layered.pipeline.TextConditioning;
import org.layered.testing.TinyModel;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;

/**
 * The shared {@link ModelHost} keeps a tiny model loaded while its transformer file is overwritten in place with
 * another model's weights of the same size, then cut in half, in a child JVM started by {@link ModelHostReloadTest}.
 * Prints {@code NOTE} lines (the host's log lines), a {@code RUNn} line per run with a hash of its layers or the
 * exception, and {@code FRESH} for a pipeline opened anew on the overwritten files.
 */
public final class ModelHostReloadProbe {
    private ModelHostReloadProbe() {}

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("models");
        Path model = TinyModel.build(dir.resolve("a"), 11);
        Path other = TinyModel.build(dir.resolve("b"), 12);
        Path file = TinyModel.weights(model, "transformer");
        ProgressListener notes = new ProgressListener() {
            @Override
            public void note(String message) {
                System.out.println("NOTE " + message);
            }
        };
        run("RUN1", model, notes);
        byte[] replacement = Files.readAllBytes(TinyModel.weights(other, "transformer"));
        if (replacement.length != Files.size(file)) {
            throw new AssertionError("the two tiny transformers differ in size");
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) { // in place, as cp does
            ch.write(java.nio.ByteBuffer.wrap(replacement));
        }
        run("RUN2", model, notes);
        try (DecomposePipeline p = DecomposePipeline.open(model, ComputeDevice.CPU, Precision.FLOAT32, null);
             TensorScope s = TensorScope.open()) {
            System.out.println("FRESH " + hash(p.run(TinyModel.image(64, 64), settings(), inputs(),
                    ProgressListener.NONE, new Cancellation()).stack().layers()));
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() / 2);
        }
        run("RUN3", model, notes);
        ModelHost.shared().unload();
        System.out.println("PROBE-DONE");
    }

    private static void run(String label, Path model, ProgressListener notes) {
        try {
            String h = ModelHost.shared().run(model, DeviceSpec.CPU, notes, new Cancellation(), pipeline -> {
                try (TensorScope s = TensorScope.open()) {
                    return hash(pipeline.run(TinyModel.image(64, 64), settings(), inputs(), notes,
                            new Cancellation()).stack().layers());
                }
            });
            System.out.println(label + " " + h);
        } catch (Exception e) {
            System.out.println(label + " " + e.getClass().getName() + ": " + e.getMessage());
        }
    }

    private static DecomposeSettings settings() {
        return new DecomposeSettings(1, 640, 1, 1.0, false, 5L, null, null, DeviceSpec.CPU);
    }

    private static GivenInputs inputs() {
        return new GivenInputs(new TextConditioning(Ops.seededNormal(3, new long[] {1, 4, TinyModel.TEXT_DIM},
                ComputeDevice.CPU), null), null, null);
    }

    private static String hash(List<RgbaImage> layers) {
        int h = 1;
        for (RgbaImage l : layers) {
            h = 31 * h + Arrays.hashCode(l.rgba());
        }
        return "layers " + Integer.toHexString(h);
    }
}
