package org.layered.pipeline;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.layered.engine.Ops;
import org.layered.engine.Tensor;
import org.layered.engine.TensorScope;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Pack / unpack / condition packing against the helpers goldens (exact: they only move values). */
class LatentPackingTest {
    private static GoldenFiles g;

    @BeforeAll
    static void open() {
        g = GoldenFiles.helpers();
    }

    @AfterAll
    static void close() {
        g.close();
    }

    private static void check(String key, Tensor actual) {
        assertArrayEquals(g.shape(key), actual.shape(), "shape of " + key);
        float[] want = g.floats(key);
        float[] got = actual.toFloats();
        double err = GoldenFiles.maxAbsDiff(got, want);
        System.out.printf("%-40s max |err| %.3g, %d values differ in bits%n", key, err,
                GoldenFiles.bitDiffs(got, want));
        assertEquals(0.0, err, 0.0, key);
    }

    @Test
    void packAndUnpack() {
        try (TensorScope s = TensorScope.open()) {
            Tensor in = g.tensor("pack.in"); // (1, 3 frames, 16, 8, 12)
            Tensor packed = LatentPacking.pack(in, 1, 16, 8, 12, 3);
            check("pack.out", packed);
            check("pack.out", LatentPacking.pack(in));
            check("unpack.out", LatentPacking.unpack(g.tensor("unpack.in"), 64, 96, 2, 8));
        }
    }

    @Test
    void batchTwo() {
        try (TensorScope s = TensorScope.open()) {
            Tensor packed = LatentPacking.pack(g.tensor("pack_b2.in"), 2, 16, 4, 6, 2);
            check("pack_b2.out", packed);
            check("unpack_b2.out", LatentPacking.unpack(packed, 32, 48, 1, 8));
        }
    }

    @Test
    void conditionLatents() {
        try (TensorScope s = TensorScope.open()) {
            Tensor cond = g.tensor("prepare_latents.image_latents_in"); // (1, 16, 1, 8, 12)
            check("prepare_latents.image_latents_packed", LatentPacking.packCondition(cond, 1));
            // batch expansion repeats the whole batch (torch.cat([x] * n))
            Tensor two = LatentPacking.packCondition(cond, 2);
            assertArrayEquals(new long[] {2, 24, 64}, two.shape());
            float[] want = g.floats("prepare_latents.image_latents_packed");
            float[] got = two.toFloats();
            for (int i = 0; i < got.length; i++) {
                assertEquals(want[i % want.length], got[i], 0.0f);
            }
        }
    }

    @Test
    void unpackInvertsPack() {
        try (TensorScope s = TensorScope.open()) {
            Tensor in = g.tensor("pack_b2.in"); // (B, F, C, h, w)
            Tensor back = LatentPacking.unpack(LatentPacking.pack(in), 32, 48, 1, 8); // (B, C, F, h, w)
            assertEquals(0.0, GoldenFiles.maxAbsDiff(back.permute(0, 2, 1, 3, 4).toFloats(), in.toFloats()), 0.0);
        }
    }

    @Test
    void clearErrors() {
        try (TensorScope s = TensorScope.open()) {
            Tensor in = g.tensor("pack.in");
            assertThrows(IllegalArgumentException.class, () -> LatentPacking.pack(in, 1, 16, 8, 12, 2));
            Tensor packed = LatentPacking.pack(in);
            // 3 frames packed, but 3 layers would need 4 frames
            assertThrows(IllegalArgumentException.class, () -> LatentPacking.unpack(packed, 64, 96, 3, 8));
            Tensor cond = g.tensor("prepare_latents.image_latents_in");
            assertThrows(IllegalArgumentException.class, () -> LatentPacking.packCondition(in, 1));
            assertThrows(IllegalArgumentException.class,
                    () -> LatentPacking.packCondition(Ops.concat(List.of(cond, cond), 0), 3));
        }
    }
}
