package org.layered.pipeline;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layered.bench.TransformerBench;
import org.layered.engine.ComputeDevice;
import org.layered.engine.DeviceSpec;
import org.layered.engine.Ops;
import org.layered.engine.Tensor;
import org.layered.engine.TensorScope;
import org.layered.model.transformer.ForwardObserver;
import org.layered.model.transformer.FrameShape;
import org.layered.model.transformer.OpProfile;
import org.layered.model.transformer.QwenImageTransformer;
import org.layered.model.transformer.TransformerConfig;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The run's FLOP count against the FLOPs a real forward performs (every linear and attention call counted). */
class RunFlopsTest {
    @TempDir
    Path dir;

    private static DecomposeSettings settings(int layers, int steps, double cfg, String negative) {
        return new DecomposeSettings(layers, 640, steps, cfg, true, 1L, "p", negative, DeviceSpec.CPU);
    }

    @Test
    void countsWhatAForwardOfTheLayeredLayoutComputes() throws Exception {
        TransformerConfig c = new TransformerConfig(2, 64, 16, 2, 16, 4, 48, new int[] {4, 6, 6}, true);
        TransformerBench.writeRandomCheckpoint(c, dir, 7);
        ResolutionBucket bucket = ResolutionBucket.forImage(640, 40, 32);
        int layers = 2;
        int text = 7;
        RunFlops f = RunFlops.of(c, bucket, settings(layers, 1, 1.0, null), text);
        List<FrameShape> shapes = FrameShape.layered(layers, bucket.gridHeight(), bucket.gridWidth());
        assertEquals(FrameShape.tokens(shapes), f.imageTokens());
        OpProfile prof = OpProfile.recording();
        try (QwenImageTransformer model = QwenImageTransformer.load(dir, QwenImageTransformer.Options.cpu());
                TensorScope s = TensorScope.open()) {
            Tensor hs = Ops.randomNormal(new long[] {1, f.imageTokens(), c.inChannels()}, ComputeDevice.CPU);
            Tensor enc = Ops.randomNormal(new long[] {1, text, c.jointAttentionDim()}, ComputeDevice.CPU);
            model.forward(hs, enc, null, Ops.fromFloats(new float[] {0.5f}, new long[] {1}, ComputeDevice.CPU),
                    Ops.fromLongs(new long[] {0}, new long[] {1}, ComputeDevice.CPU), shapes, ForwardObserver.NONE,
                    prof);
        }
        // what RunFlops leaves out on purpose: the per-sample (not per-token) modulation and timestep layers
        double d = c.innerDim();
        double perSample = c.numLayers() * 2 * (2 * d * 6 * d) + 2 * 256 * d + 2 * d * d + 2 * d * 2 * d;
        assertEquals(prof.linearFlops() + prof.attentionFlops(), f.perForward() + perSample,
                1e-9 * f.perForward());
    }

    @Test
    void theReleasedModelIsPetaflopsOfWork() {
        TransformerConfig released = TransformerConfig.released();
        ResolutionBucket b = ResolutionBucket.forImage(640, 640, 640);
        RunFlops one = RunFlops.of(released.withNumLayers(1), b, settings(4, 1, 1.0, null), 128);
        // README, TransformerBench: one released block, 9,600 image + 128 text tokens, 3.4 TFLOP
        assertEquals(6 * b.tokensPerFrame(), one.imageTokens());
        assertEquals(3.4e12, one.perForward(), 0.05e12);
        RunFlops run = RunFlops.of(released, b, settings(4, 50, 4.0, " "), 128);
        assertEquals(2, run.forwards(), "true CFG doubles the forwards");
        assertEquals(1, RunFlops.of(released, b, settings(4, 50, 4.0, null), 128).forwards(), "no negative: no CFG");
        assertEquals(60 * 2 * 50, run.blocks() * run.forwards() * run.steps());
        assertTrue(run.describe().contains("PFLOP (50 steps x 2 forwards (CFG), "
                + "60 blocks of width 3072, 9600 image + 128 text tokens)"), run.describe());
        assertEquals(run.total() / 2e11, run.seconds(2e11), 1e-6);
    }
}
