package org.layered.bench;

import org.layered.engine.Cancellation;
import org.layered.engine.ComputeDevice;
import org.layered.engine.DType;
import org.layered.engine.DeviceSpec;
import org.layered.engine.Ops;
import org.layered.engine.Precision;
import org.layered.engine.Tensor;
import org.layered.engine.TensorScope;
import org.layered.image.RgbaImage;
import org.layered.image.TestPattern;
import org.layered.layers.LayerDifference;
import org.layered.model.transformer.QwenImageTransformer;
import org.layered.pipeline.DecomposePipeline;
import org.layered.pipeline.DecomposeSettings;
import org.layered.pipeline.GivenInputs;
import org.layered.pipeline.ProgressListener;
import org.layered.pipeline.TextConditioning;
import org.layered.weights.residency.ResidencyPolicy;
import org.layered.weights.residency.WeightFormat;
import org.layered.weights.safetensors.SafetensorsFile;
import org.layered.weights.safetensors.TensorValues;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * What float8 weight storage costs in accuracy, side by side on the same inputs (the README's figures):
 * <ol>
 * <li>the transformer golden case (upstream's float32 output of the tiny golden transformer, with its text mask):
 *     max abs error and relative RMS error of the output with weights and compute float32, weights fp8 + compute
 *     float32, weights and compute bf16, weights fp8 + compute bf16;</li>
 * <li>a whole decomposition with the tiny random model ({@link PipelineBench}'s, 704x576 RGBA, 2 layers, 3 steps,
 *     CFG 4 normalised, given embeddings, CPU): the 8-bit layer values of fp8 weights against float32 ones, the
 *     share off by more than 1, 4 and 16 levels.</li>
 * </ol>
 * Usage: {@code Fp8Bench [--golden DIR]} (default {@code src/test/resources/golden/transformer}, run from the
 * repository root).
 */
public final class Fp8Bench {
    private Fp8Bench() {
    }

    public static void main(String[] args) throws IOException {
        Path golden = Path.of("src/test/resources/golden/transformer");
        if (args.length == 2 && args[0].equals("--golden")) {
            golden = Path.of(args[1]);
        } else if (args.length != 0) {
            System.err.println("usage: Fp8Bench [--golden DIR]");
            System.exit(2);
        }
        goldenCase(golden, System.out);
        Path dir = Files.createTempDirectory("fp8-bench");
        PipelineBench.buildTiny(dir);
        layerDifferences(dir, System.out);
    }

    /** The golden case's output error for each weight format and compute dtype. */
    static void goldenCase(Path dir, PrintStream out) throws IOException {
        ComputeDevice cpu = ComputeDevice.CPU;
        out.println("transformer golden case 1 (text mask), output error vs upstream float32:");
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("transformer_case1.safetensors"))) {
            float[] ref = TensorValues.toFloats(f.info("mask.output"), f.data("mask.output"));
            for (Precision p : List.of(Precision.FLOAT32, Precision.BFLOAT16)) {
                for (WeightFormat w : WeightFormat.values()) {
                    try (QwenImageTransformer t = QwenImageTransformer.load(dir, QwenImageTransformer.Options.cpu()
                            .withPrecision(p).withResidency(ResidencyPolicy.resident().withFormat(w)));
                         TensorScope s = TensorScope.open()) {
                        Tensor x = Ops.as(tensor(f, "hidden_states"), p.dtype());
                        Tensor e = Ops.as(tensor(f, "encoder_hidden_states"), p.dtype());
                        String m = "mask.encoder_hidden_states_mask";
                        Tensor mask = Ops.fromLongs(TensorValues.toLongs(f.info(m), f.data(m)), f.info(m).shape(),
                                cpu);
                        float[] ts = TensorValues.toFloats(f.info("timestep"), f.data("timestep"));
                        long[] addl = TensorValues.toLongs(f.info("additional_t_cond"), f.data("additional_t_cond"));
                        float[] o = Ops.as(t.forward(x, e, mask, ts, addl, 2, 4, 4), DType.F32)
                                .toFloats();
                        double max = 0;
                        double sq = 0;
                        double refSq = 0;
                        for (int i = 0; i < ref.length; i++) {
                            double d = o[i] - ref[i];
                            max = Math.max(max, Math.abs(d));
                            sq += d * d;
                            refSq += ref[i] * (double) ref[i];
                        }
                        out.printf(Locale.ROOT, "  compute %-8s weights %-4s  max abs %.3g  relative RMS %.3g%n", p,
                                w == WeightFormat.FP8 ? "fp8" : p == Precision.FLOAT32 ? "f32" : "bf16", max,
                                Math.sqrt(sq / refSq));
                    }
                }
            }
        }
    }

    private static Tensor tensor(SafetensorsFile f, String name) throws IOException {
        return Ops.fromFloats(TensorValues.toFloats(f.info(name), f.data(name)), f.info(name).shape(),
                ComputeDevice.CPU);
    }

    /** A whole tiny-model decomposition with fp8 weights against float32 weights: 8-bit layer differences. */
    static void layerDifferences(Path model, PrintStream out) throws IOException {
        DecomposeSettings s = new DecomposeSettings(2, 640, 3, 4.0, true, 7L, null, null, DeviceSpec.CPU);
        List<RgbaImage> f32 = layers(model, s, WeightFormat.BF16); // held as read: float32 on the CPU
        List<RgbaImage> fp8 = layers(model, s, WeightFormat.FP8);
        out.println("tiny random model, 704x576 RGBA, 2 layers, 3 steps, CFG 4, CPU: fp8 vs float32 weights, "
                + LayerDifference.of(f32, fp8));
    }

    private static List<RgbaImage> layers(Path model, DecomposeSettings s, WeightFormat format) throws IOException {
        ComputeDevice cpu = ComputeDevice.CPU;
        int text = PipelineBench.TINY_TEXT;
        try (DecomposePipeline p = DecomposePipeline.open(model, cpu, Precision.FLOAT32,
                ResidencyPolicy.resident().withFormat(format), null); TensorScope scope = TensorScope.open()) {
            GivenInputs given = new GivenInputs(
                    new TextConditioning(Ops.seededNormal(1, new long[] {1, 6, text}, cpu), null),
                    new TextConditioning(Ops.seededNormal(2, new long[] {1, 4, text}, cpu), null), null);
            return p.run(TestPattern.rgba(704, 576), s, given, ProgressListener.NONE, new Cancellation()).stack()
                    .layers();
        }
    }
}
