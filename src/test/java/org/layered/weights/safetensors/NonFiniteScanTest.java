package org.layered.weights.safetensors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layered.engine.DType;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** NaN and infinities are counted in every floating dtype; finite extremes and integer tensors are not flagged. */
class NonFiniteScanTest {
    @TempDir
    Path dir;

    @Test
    void countsNanAndInfinityPerTensorInEveryFloatType() throws Exception {
        float nan = Float.NaN;
        float inf = Float.POSITIVE_INFINITY;
        Path f = dir.resolve("w.safetensors");
        new SafetensorsWriter()
                .putFloats("a.f32", DType.F32, new long[] {4}, new float[] {1, nan, -inf, Float.MAX_VALUE})
                .putFloats("b.bf16", DType.BF16, new long[] {3}, new float[] {nan, nan, inf})
                .putFloats("c.f16", DType.F16, new long[] {3}, new float[] {65504f, -inf, 0})
                .putFloats("d.f64", DType.F64, new long[] {2}, new float[] {nan, -0f})
                .putFloats("e.finite", DType.BF16, new long[] {2}, new float[] {-3.3e38f, 1e-40f})
                .putLongs("f.ints", DType.I64, new long[] {2}, new long[] {-1, Long.MAX_VALUE})
                .write(f);
        try (ShardedCheckpoint ck = ShardedCheckpoint.open(f)) {
            long[] scanned = {0};
            List<NonFiniteScan.Finding> found = NonFiniteScan.scan(ck, n -> scanned[0] += n);
            assertEquals(List.of(
                    new NonFiniteScan.Finding(f, "a.f32", DType.F32, 4, 1, 1),
                    new NonFiniteScan.Finding(f, "b.bf16", DType.BF16, 3, 2, 1),
                    new NonFiniteScan.Finding(f, "c.f16", DType.F16, 3, 0, 1),
                    new NonFiniteScan.Finding(f, "d.f64", DType.F64, 2, 1, 0)), found);
            assertEquals(4 * 4 + 3 * 2 + 3 * 2 + 2 * 8 + 2 * 2, scanned[0], "every float byte, no integer byte");
            assertEquals(f + ": tensor 'b.bf16' (BF16, 3 values) holds 2 NaN and 1 infinite value(s)",
                    found.get(1).toString());
        }
    }
}
