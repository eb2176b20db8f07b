package org.layered.engine;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The engine's native-memory accounting: fresh results count their storage, views share it (and keep it alive past
 * their base), reshapes count as views exactly when libtorch did not copy; with the engine checks on, every view and
 * inferred dtype is confirmed against libtorch.
 */
class MemoryAccountingTest {
    private static final ComputeDevice CPU = ComputeDevice.CPU;
    private boolean checksBefore;

    @BeforeEach
    void on() {
        MemoryAccounting.start();
        checksBefore = EngineChecks.enable(true);
    }

    @AfterEach
    void off() {
        MemoryAccounting.stop();
        EngineChecks.enable(checksBefore);
    }

    private static long live() {
        return MemoryAccounting.usage(CPU).live();
    }

    @Test
    void freshResultsCountTheirBytesUntilClosed() {
        long base = live();
        try (TensorScope s = TensorScope.open()) {
            Tensor a = Ops.zeros(new long[] {256, 64}, DType.F32, CPU);
            assertEquals(base + 256 * 64 * 4, live());
            Tensor b = Ops.cast(a, DType.BF16);
            assertEquals(base + 256 * 64 * 6, live());
            a.add(b).close(); // float32 + bf16 -> float32, gone again
            assertEquals(base + 256 * 64 * 6, live());
        }
        assertEquals(base, live());
    }

    @Test
    void viewsShareStorageAndKeepItAliveAfterTheBaseCloses() {
        long base = live();
        try (TensorScope s = TensorScope.open()) {
            Tensor a = Ops.zeros(new long[] {4, 8, 16}, DType.F32, CPU);
            long bytes = 4 * 8 * 16 * 4;
            Tensor row = a.slice(0, 0, 1);
            Tensor column = a.slice(2, 0, 1);
            List<Tensor> views = List.of(a.reshape(32, 16), a.permute(2, 0, 1), a.transpose(0, 1), a.unsqueeze(0),
                    a.slice(1, 2, 5), a.get("..., 0::2"), row, row.squeeze(0), column, column.broadcast(4, 8, 16));
            assertEquals(base + bytes, live(), "views add nothing");
            a.close();
            assertEquals(base + bytes, live(), "the views still hold the storage");
            views.forEach(Tensor::close);
            assertEquals(base, live());
        }
    }

    @Test
    void reshapeCountsACopyExactlyWhenLibtorchCopies() {
        long base = live();
        try (TensorScope s = TensorScope.open()) {
            Tensor f = Ops.zeros(new long[] {6, 10}, DType.F32, CPU);
            Tensor a = Ops.cast(f, DType.BF16);
            f.close();
            long bytes = 6 * 10 * 2;
            Tensor t = a.transpose(0, 1);                  // non-contiguous view
            Tensor merged = t.reshape(60);                  // cannot be a view: copied
            assertEquals(base + 2 * bytes, live());
            assertFalse(Ops.sharesStorage(a, merged.nd()));
            Tensor split = t.reshape(2, 5, 6);              // splitting a dimension stays a view
            assertEquals(base + 2 * bytes, live());
            assertTrue(Ops.sharesStorage(a, split.nd()));
            assertEquals(DType.BF16, merged.dtype());
            assertEquals(DType.BF16, split.dtype());
        }
        assertEquals(base, live());
    }

    @Test
    void peaksAreResettableAndPerDevice() {
        try (TensorScope s = TensorScope.open()) {
            long base = live();
            Ops.zeros(new long[] {1000}, DType.F32, CPU).close();
            assertTrue(MemoryAccounting.usage(CPU).peak() >= base + 4000);
            MemoryAccounting.resetPeaks();
            assertEquals(base, MemoryAccounting.usage(CPU).peak());
            assertTrue(MemoryAccounting.all().containsKey("cpu"));
        }
    }

    @Test
    void tensorsMadeWhileStoppedAreNotCounted() {
        MemoryAccounting.stop();
        long base = live();
        try (TensorScope s = TensorScope.open()) {
            Tensor a = Ops.zeros(new long[] {100}, DType.F32, CPU);
            MemoryAccounting.start();
            Tensor v = a.reshape(10, 10);
            assertEquals(base, live());
            v.close();
            a.close();
            assertEquals(base, live());
        }
    }

    @Test
    void float8QuantisationKeepsItsDtypeAndDequantisesWithinHalfAStep() {
        try (TensorScope s = TensorScope.open()) {
            float[] v = new float[3 * 40];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) Math.sin(i * 0.37) * (1 + i / 40); // rows with different ranges
            }
            Tensor w = Ops.cast(Ops.fromFloats(v, new long[] {3, 40}, CPU), DType.BF16);
            long before = live();
            Tensor[] q = Ops.quantizeFp8(w);
            assertEquals(DType.F8_E4M3, q[0].dtype());
            assertEquals(DType.F32, q[1].dtype());
            assertEquals(before + 3 * 40 + 3 * 4, live(), "one byte per value and a float32 scale per row");
            assertEquals(DType.F8_E4M3, q[0].reshape(120).dtype());
            assertEquals(DType.F8_E4M3, q[0].slice(1, 0, 8).dtype());
            Tensor back = Ops.dequantizeFp8(q[0], q[1], DType.F32);
            float[] ref = w.toFloats();
            float[] got = back.toFloats();
            for (int r = 0; r < 3; r++) {
                float amax = 0;
                for (int c = 0; c < 40; c++) {
                    amax = Math.max(amax, Math.abs(ref[r * 40 + c]));
                }
                for (int c = 0; c < 40; c++) {
                    float x = ref[r * 40 + c];
                    // e4m3 keeps 3 mantissa bits: half a step is 1/16 relative; subnormals step amax/448 * 2^-9
                    float tol = Math.max(Math.abs(x) / 16f, amax / 448f * 0x1p-10f) * 1.0001f;
                    assertTrue(Math.abs(got[r * 40 + c] - x) <= tol, "row " + r + " col " + c + ": " + x + " -> "
                            + got[r * 40 + c]);
                }
                assertEquals(amax, max(got, r), amax * 1e-6, "the largest value of a row is exact");
            }
            assertThrows(IllegalArgumentException.class, () -> Ops.quantizeFp8(w.reshape(120)));
        }
    }

    private static float max(float[] v, int row) {
        float m = 0;
        for (int c = 0; c < 40; c++) {
            m = Math.max(m, Math.abs(v[row * 40 + c]));
        }
        return m;
    }
}
