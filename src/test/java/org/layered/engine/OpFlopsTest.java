package org.layered.engine;

import org.junit.jupiter.api.Test;

import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;

class OpFlopsTest {
    private static final Random R = new Random(5);

    private static double flopsOf(Runnable ops) {
        double f0 = OpFlops.ofThisThread();
        ops.run();
        return OpFlops.ofThisThread() - f0;
    }

    @Test
    void matmulClassOpsCountTwoFlopsPerMultiplyAdd() {
        try (TensorScope s = TensorScope.open()) {
            Tensor x = OpsTest.randn(R, 2, 5, 8);
            Tensor w = OpsTest.randn(R, 3, 8);
            Tensor b = OpsTest.randn(R, 3);
            assertEquals(2.0 * 10 * 3 * 8, flopsOf(() -> Ops.linear(x, w, b)));
            assertEquals(2.0 * 10 * 3 * 8, flopsOf(() -> Ops.linear(x, w, null)));
            assertEquals(2.0 * 2 * 5 * 3 * 8, flopsOf(() -> x.matmul(w.transpose(0, 1))));

            // 3x3, stride 2, padding 1: 9x9 -> 5x5 outputs, each 4 input channels x 9 taps
            Tensor image = OpsTest.randn(R, 1, 4, 9, 9);
            Tensor kernel = OpsTest.randn(R, 6, 4, 3, 3);
            assertEquals(2.0 * 6 * 5 * 5 * 4 * 9, flopsOf(() -> Ops.conv2d(image, kernel, OpsTest.randn(R, 6), 2, 1)));

            // q k^T over d = 4, then p v over dv = 6: batch 2 x heads 3 x 5 queries x 7 keys
            Tensor q = OpsTest.randn(R, 2, 3, 5, 4);
            Tensor k = OpsTest.randn(R, 2, 3, 7, 4);
            Tensor v = OpsTest.randn(R, 2, 3, 7, 6);
            assertEquals(2.0 * 2 * 3 * 5 * 7 * (4 + 6), flopsOf(() -> Ops.attention(q, k, v, null)));
            // elementwise work is not counted
            assertEquals(0.0, flopsOf(() -> Ops.silu(x)));
        }
    }

    @Test
    void anotherThreadsOpsDoNotChangeThisThreadsCount() throws InterruptedException {
        AtomicReference<Double> there = new AtomicReference<>();
        double here = flopsOf(() -> {
            Thread t = new Thread(() -> {
                try (TensorScope s = TensorScope.open()) {
                    there.set(flopsOf(() -> Ops.linear(OpsTest.randn(new Random(1), 4, 4),
                            OpsTest.randn(new Random(2), 4, 4), null)));
                }
            });
            t.start();
            try {
                t.join();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        assertEquals(2.0 * 4 * 4 * 4, there.get());
        assertEquals(0.0, here);
    }
}
