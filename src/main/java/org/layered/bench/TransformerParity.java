package org.layered.bench;

import org.layered.engine.ComputeDevice;
import org.layered.engine.DeviceChoice;
import org.layered.engine.DType;
import org.layered.engine.DeviceSpec;
import org.layered.engine.MemoryAccounting;
import org.layered.engine.Ops;
import org.layered.engine.Precision;
import org.layered.engine.Tensor;
import org.layered.engine.TensorScope;
import org.layered.engine.TorchEngine;
import org.layered.model.transformer.FrameShape;
import org.layered.model.transformer.QwenImageTransformer;
import org.layered.model.transformer.TransformerConfig;
import org.layered.model.transformer.TransformerLayout;
import org.layered.model.transformer.TransformerMemory;
import org.layered.weights.residency.ActivationLedger;
import org.layered.weights.residency.GroupSize;
import org.layered.weights.residency.MemoryPlanner;
import org.layered.weights.residency.ResidencyPolicy;
import org.layered.weights.residency.TieredWeights;
import org.layered.weights.residency.WeightFormat;
import org.layered.weights.residency.WeightGroup;
import org.layered.weights.residency.WeightTier;
import org.layered.weights.safetensors.SafetensorsWriter;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The Java half of the GPU proof ({@code tools/gpu-check/proof.sh}): a transformer of {@code --blocks} double-stream
 * blocks at a given width (the released 24 heads x 128 by default) with random weights, on the 640 bucket with N
 * layers, run on {@code --device}: seconds per forward, the peak of tensor memory the engine's accounting measured
 * beside the memory model's prediction, and the output written to {@code DIR/java-output-<tag>.safetensors} with the
 * inputs in {@code DIR/inputs.safetensors}, so that a plain PyTorch transcription can run the same weights and
 * inputs and compare.
 *
 * <p>{@code --weights fp8 --stream-blocks K}: linear weights as float8, the last K blocks held in (pinned) host
 * memory and copied to the device group by group, as the memory plan streams a transformer that does not fit.
 *
 * <p>Usage: {@code TransformerParity --dir DIR [--device cpu|cuda:0] [--heads 24] [--head-dim 128] [--text-dim 3584]
 * [--blocks 4] [--layers 4] [--grid 40] [--text 64] [--passes 3] [--weights bf16|fp8] [--stream-blocks 0]
 * [--precision float32|bfloat16] [--tag NAME]}.
 */
public final class TransformerParity {
    private TransformerParity() {
    }

    public static void main(String[] args) throws IOException {
        Map<String, String> a = new HashMap<>(Map.of("device", "cpu", "heads", "24", "head-dim", "128", "text-dim",
                "3584", "blocks", "4", "layers", "4", "grid", "40", "text", "64", "passes", "3", "weights", "bf16"));
        a.put("stream-blocks", "0");
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                break;
            }
            a.put(args[i].substring(2), args[i + 1]);
        }
        if (!a.containsKey("dir") || args.length % 2 != 0) {
            System.err.println("usage: TransformerParity --dir DIR [--device cpu|cuda:0] [--heads 24] [--head-dim 128]"
                    + " [--text-dim 3584] [--blocks 4] [--layers 4] [--grid 40] [--text 64] [--passes 3]"
                    + " [--weights bf16|fp8] [--stream-blocks K] [--precision float32|bfloat16] [--tag NAME]");
            System.exit(2);
        }
        run(a, System.out);
    }

    static void run(Map<String, String> a, PrintStream out) throws IOException {
        int headDim = Integer.parseInt(a.get("head-dim"));
        int third = headDim * 7 / 16 / 2 * 2; // rope axes as released: 128 -> 16, 56, 56
        int[] axes = {headDim - 2 * third, third, third};
        TransformerConfig c = new TransformerConfig(2, 64, 16, Integer.parseInt(a.get("blocks")), headDim,
                Integer.parseInt(a.get("heads")), Integer.parseInt(a.get("text-dim")), axes, true);
        int layers = Integer.parseInt(a.get("layers"));
        int grid = Integer.parseInt(a.get("grid"));
        int text = Integer.parseInt(a.get("text"));
        WeightFormat format = WeightFormat.parse(a.get("weights"));
        int streamed = Integer.parseInt(a.get("stream-blocks"));
        Path dir = Files.createDirectories(Path.of(a.get("dir")));
        Path weights = dir.resolve("transformer");
        if (!Files.exists(weights.resolve("diffusion_pytorch_model.safetensors"))) {
            TransformerBench.writeRandomCheckpoint(c, Files.createDirectories(weights), 11);
        }
        List<FrameShape> frames = FrameShape.layered(layers, grid, grid);
        long tokens = FrameShape.tokens(frames);
        ComputeDevice cpu = ComputeDevice.CPU;
        DeviceChoice choice = TorchEngine.get().choose(DeviceSpec.parse(a.get("device")));
        ComputeDevice device = choice.device();
        Precision precision = a.containsKey("precision") ? Precision.valueOf(a.get("precision").toUpperCase(
                Locale.ROOT)) : Precision.defaultFor(device);
        try (TensorScope s = TensorScope.open()) {
            Tensor x = Ops.seededNormal(1, new long[] {1, tokens, 64}, cpu);
            Tensor e = Ops.seededNormal(2, new long[] {1, text, c.jointAttentionDim()}, cpu);
            Path inputs = dir.resolve("inputs.safetensors");
            if (!Files.exists(inputs)) {
                new SafetensorsWriter().putFloats("hidden_states", x.shape(), x.toFloats())
                        .putFloats("encoder_hidden_states", e.shape(), e.toFloats())
                        .putFloats("timestep", new long[] {1}, new float[] {0.5f})
                        .write(inputs);
            }

            List<WeightGroup> groups = TransformerLayout.groups(c);
            Map<String, long[]> shapes = TransformerLayout.parameterShapes(c);
            Map<String, GroupSize> sizes = new HashMap<>();
            groups.forEach(g -> sizes.put(g.name(), GroupSize.of(g, shapes)));
            long deviceBytes = 0;
            long hostBytes = 0;
            for (int i = 0; i < groups.size(); i++) {
                long b = sizes.get(groups.get(i).name()).heldBytes(precision.dtype(), format);
                boolean host = i > 0 && i < groups.size() - 1 && i > groups.size() - 2 - streamed;
                if (host) {
                    hostBytes += b;
                } else {
                    deviceBytes += b;
                }
            }
            ResidencyPolicy policy = streamed == 0 ? ResidencyPolicy.resident().withFormat(format)
                    : ResidencyPolicy.tiered(deviceBytes, hostBytes, format);
            out.printf(Locale.ROOT, "java: %s, %s compute, weights %s, %d blocks of %dx%d, text %d, %d image + %d "
                    + "text tokens (%d frames of %dx%d: %d layers), %s%n", choice.summary(), precision, format,
                    c.numLayers(), c.numAttentionHeads(), headDim, c.jointAttentionDim(), tokens, text, layers + 2,
                    grid, grid, layers,
                    streamed == 0 ? "all weights device-resident" : streamed + " blocks streamed from host memory");
            MemoryAccounting.start();
            try (QwenImageTransformer t = QwenImageTransformer.load(weights, new QwenImageTransformer.Options(device,
                    precision, policy))) {
                Tensor xd = Ops.as(Ops.toAsync(x, device), precision.dtype());
                Tensor ed = Ops.as(Ops.toAsync(e, device), precision.dtype());
                long held = MemoryAccounting.usage(device).live();
                Map<String, WeightTier> tiers = new HashMap<>();
                long largestHost = 0;
                for (WeightGroup g : groups) {
                    WeightTier tier = t.residency() instanceof TieredWeights tw ? tw.tier(g) : WeightTier.FILE;
                    tiers.put(g.name(), tier);
                    if (tier == WeightTier.HOST) {
                        largestHost = Math.max(largestHost, sizes.get(g.name()).heldBytes(precision.dtype(),
                                format));
                    }
                }
                int passes = Integer.parseInt(a.get("passes"));
                double[] seconds = new double[passes];
                long peak = 0;
                float[] result = null;
                for (int p = 0; p < passes; p++) {
                    MemoryAccounting.resetPeaks();
                    try (TensorScope f = TensorScope.open()) {
                        long t0 = System.nanoTime();
                        Tensor o = t.forward(xd, ed, null, new float[] {0.5f}, new long[] {0}, layers, grid, grid);
                        Ops.allFinite(o); // reads one value back: waits for the device
                        seconds[p] = (System.nanoTime() - t0) / 1e9;
                        peak = Math.max(peak, MemoryAccounting.usage(device).peak() - held);
                        if (p == passes - 1) {
                            result = Ops.as(o, DType.F32).toFloats();
                        }
                    }
                }
                ActivationLedger l = new ActivationLedger();
                new TransformerMemory(c, precision.dtype(), g -> MemoryPlanner.acquisitionBytes(sizes.get(g),
                        tiers.get(g), precision.dtype(), format)).forward(l, tokens, text, false);
                long predicted = l.peak() + MemoryPlanner.hostCopies(largestHost); // copies in use and ahead
                double[] sorted = seconds.clone();
                Arrays.sort(sorted);
                out.printf(Locale.ROOT, "java: weights held %.3f GB on %s; s/forward first %.3f, median %.3f; "
                        + "activation peak measured %.3f GB, predicted %.3f GB (ratio %.3f)%n", held / 1e9, device,
                        seconds[0], sorted[passes / 2], peak / 1e9, predicted / 1e9, predicted / (double) peak);
                String tag = a.getOrDefault("tag", format + (streamed == 0 ? "" : "-streamed"));
                new SafetensorsWriter().putFloats("output", new long[] {1, tokens, 64}, result)
                        .write(dir.resolve("java-output-" + tag + ".safetensors"));
            } finally {
                MemoryAccounting.stop();
            }
        }
    }
}
