package org.layered.model.transformer;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.layered.bench.TransformerBench;
import org.layered.engine.ComputeDevice;
import org.layered.engine.MemoryAccounting;
import org.layered.engine.Ops;
import org.layered.engine.Precision;
import org.layered.engine.Tensor;
import org.layered.engine.TensorScope;
import org.layered.weights.residency.ActivationLedger;
import org.layered.weights.residency.GroupSize;
import org.layered.weights.residency.MemoryPlanner;
import org.layered.weights.residency.ResidencyPolicy;
import org.layered.weights.residency.TieredWeights;
import org.layered.weights.residency.WeightFormat;
import org.layered.weights.residency.WeightGroup;
import org.layered.weights.residency.WeightResidency;
import org.layered.weights.residency.WeightTier;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link TransformerMemory} against one forward pass measured by the engine's accounting, in float32 and bf16, with
 * weights held as stored or as float8, device-resident, copied from the host tier or read from the file: the held
 * bytes exactly, the forward's peak within 10 % (the planner's rules for what acquiring a group costs included).
 */
class TransformerMemoryTest {
    /** 4 blocks of 2 x 32 heads, text 48: blocks outweigh the input and output layers, as in the release. */
    static final TransformerConfig CONFIG = new TransformerConfig(2, 64, 16, 4, 32, 2, 48, new int[] {8, 12, 12},
            true);
    private static final ComputeDevice CPU = ComputeDevice.CPU;

    @TempDir
    static Path dir;

    @BeforeAll
    static void checkpoint() throws Exception {
        TransformerBench.writeRandomCheckpoint(CONFIG, Files.createDirectories(dir.resolve("t")), 5);
    }

    @AfterEach
    void stop() {
        MemoryAccounting.stop();
    }

    @Test
    void aBatchOfTwoWithAMaskIsPredictedToo() throws Exception {
        MemoryAccounting.start();
        try (QwenImageTransformer t = QwenImageTransformer.load(dir.resolve("t"), QwenImageTransformer.Options.cpu());
             TensorScope s = TensorScope.open()) {
            List<FrameShape> frames = FrameShape.layered(2, 8, 8);
            long tokens = FrameShape.tokens(frames);
            Tensor x = Ops.seededNormal(1, new long[] {2, tokens, 64}, CPU);
            Tensor e = Ops.seededNormal(2, new long[] {2, 6, 48}, CPU);
            Tensor mask = Ops.fromLongs(new long[] {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0}, new long[] {2, 6}, CPU);
            long before = MemoryAccounting.usage(CPU).live();
            MemoryAccounting.resetPeaks();
            try (TensorScope f = TensorScope.open()) {
                t.forward(x, e, mask, new float[] {0.5f, 0.5f}, new long[] {0, 0}, 2, 8, 8);
            }
            long measured = MemoryAccounting.usage(CPU).peak() - before;
            ActivationLedger l = new ActivationLedger();
            new TransformerMemory(CONFIG, Precision.FLOAT32.dtype(), g -> 0).forward(l, 2, tokens, 6, true);
            double ratio = l.peak() / (double) measured;
            System.out.printf(Locale.ROOT, "batch of two with a text mask: predicted %,d measured %,d (%.4f)%n",
                    l.peak(), measured, ratio);
            assertTrue(Math.abs(ratio - 1) <= 0.10, "predicted / measured " + ratio);
        }
    }

    @ParameterizedTest
    @CsvSource({"FLOAT32, bf16, resident", "BFLOAT16, fp8, resident", "FLOAT32, bf16, streamed",
        "BFLOAT16, fp8, tiered", "FLOAT32, bf16, tiered"})
    void heldBytesAndTheForwardPeakAreAsPredicted(Precision precision, String format, String mode) throws Exception {
        WeightFormat f = WeightFormat.parse(format);
        List<WeightGroup> groups = TransformerLayout.groups(CONFIG);
        Map<String, long[]> shapes = TransformerLayout.parameterShapes(CONFIG);
        Map<String, GroupSize> sizes = new HashMap<>();
        groups.forEach(g -> sizes.put(g.name(), GroupSize.of(g, shapes)));
        long io = sizes.get("input layers").heldBytes(precision.dtype(), f)
                + sizes.get("output layers").heldBytes(precision.dtype(), f);
        long twoBlocks = 2 * sizes.get("block 0").heldBytes(precision.dtype(), f);
        ResidencyPolicy policy = switch (mode) {
            case "resident" -> ResidencyPolicy.resident().withFormat(f);
            case "streamed" -> ResidencyPolicy.streamed();
            default -> ResidencyPolicy.tiered(io, twoBlocks, f); // blocks 0, 1 in the host tier, 2, 3 from the file
        };
        MemoryAccounting.start();
        long base = MemoryAccounting.usage(CPU).live();
        try (QwenImageTransformer t = QwenImageTransformer.load(dir.resolve("t"),
                QwenImageTransformer.Options.cpu().withPrecision(precision).withResidency(policy));
             TensorScope s = TensorScope.open()) {
            WeightResidency r = t.residency();
            Map<String, WeightTier> tiers = new HashMap<>();
            long held = 0;
            long largestHost = 0;
            for (WeightGroup g : groups) {
                WeightTier tier = r instanceof TieredWeights tw ? tw.tier(g) : WeightTier.FILE;
                tiers.put(g.name(), tier);
                long bytes = sizes.get(g.name()).heldBytes(precision.dtype(), f);
                if (tier != WeightTier.FILE) {
                    held += bytes; // on the CPU the host tier is memory too
                }
                if (tier == WeightTier.HOST) {
                    largestHost = Math.max(largestHost, bytes);
                }
            }
            if (mode.equals("tiered")) {
                assertEquals(List.of(WeightTier.DEVICE, WeightTier.HOST, WeightTier.HOST, WeightTier.FILE,
                        WeightTier.FILE, WeightTier.DEVICE), groups.stream().map(g -> tiers.get(g.name())).toList());
            }
            assertEquals(held, MemoryAccounting.usage(CPU).live() - base, "held weights");

            int layers = 2;
            List<FrameShape> frames = FrameShape.layered(layers, 8, 8);
            long tokens = FrameShape.tokens(frames);
            Tensor x = Ops.as(Ops.seededNormal(1, new long[] {1, tokens, 64}, CPU), precision.dtype());
            Tensor e = Ops.as(Ops.seededNormal(2, new long[] {1, 6, 48}, CPU), precision.dtype());
            double worst = 0;
            StringBuilder report = new StringBuilder();
            long before = MemoryAccounting.usage(CPU).live(); // weights and inputs
            for (int pass = 0; pass < 2; pass++) { // the second pass starts with the host copies of the first alive
                MemoryAccounting.resetPeaks();
                try (TensorScope f1 = TensorScope.open()) {
                    t.forward(x, e, null, new float[] {0.5f}, new long[] {0}, layers, 8, 8);
                }
                long measured = MemoryAccounting.usage(CPU).peak() - before;
                ActivationLedger l = new ActivationLedger();
                new TransformerMemory(CONFIG, precision.dtype(), g -> MemoryPlanner.acquisitionBytes(sizes.get(g),
                        tiers.get(g), precision.dtype(), f)).forward(l, tokens, 6, false);
                long predicted = l.peak() + MemoryPlanner.hostCopies(largestHost);
                double ratio = predicted / (double) measured;
                worst = Math.max(worst, Math.abs(ratio - 1));
                report.append(String.format(Locale.ROOT, "%s %s %s pass %d: predicted %,d measured %,d (%.4f)%n",
                        precision, format, mode, pass, predicted, measured, ratio));
            }
            System.out.print(report);
            assertTrue(worst <= 0.10, report.toString());
        }
    }
}
