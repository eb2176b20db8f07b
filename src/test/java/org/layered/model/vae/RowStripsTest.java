package org.layered.model.vae;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.layered.engine.ComputeDevice;
import org.layered.engine.Precision;
import org.layered.engine.Tensor;
import org.layered.engine.TensorScope;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seams of the row-strip evaluation: forcing strips of 1 and 3 rows (uneven remainders) everywhere on the golden
 * model must reproduce the whole-frame results, both against the goldens and against the unstriped run.
 */
class RowStripsTest {
    private static RgbaVae vae;

    @BeforeAll
    static void load() throws IOException {
        vae = RgbaVae.load(VaeGolden.dir(), ComputeDevice.CPU, Precision.FLOAT32);
    }

    @AfterAll
    static void close() {
        vae.close();
    }

    @Test
    void stripsOfAnyHeightGiveTheWholeFrameResult() {
        try (TensorScope s = TensorScope.open()) {
            Tensor image = VaeGolden.get("image").tensor();
            Tensor z = VaeGolden.get("decode_latent").tensor();
            vae.stripBudgetBytes(Long.MAX_VALUE);
            float[] wholeMode = vae.encodeMode(image).toFloats();
            float[] wholeDec = vae.decode(z).toFloats();
            // 1792 bytes = one row of the 8-channel 56-wide stages: 1-row strips; 5376 = 3 rows (40 = 13*3 + 1)
            for (long budget : new long[] {1, 5376}) {
                vae.stripBudgetBytes(budget);
                long before = RowStrips.STRIPS.get();
                System.out.println("VAE row strips, budget " + budget + " bytes:");
                Tensor mode = vae.encodeMode(image);
                Tensor dec = vae.decode(z);
                long strips = RowStrips.STRIPS.get() - before;
                System.out.println("  strips evaluated: " + strips);
                assertTrue(strips > 100, "strips were used: " + strips);
                VaeGolden.check("latent_mode", mode, VaeGolden.LATENT_TOL);
                VaeGolden.check("decode_output", dec, VaeGolden.PIXEL_TOL);
                double dm = VaeGolden.maxAbsDiff(wholeMode, mode.toFloats());
                double dd = VaeGolden.maxAbsDiff(wholeDec, dec.toFloats());
                System.out.printf("  strips vs whole frame: latent %.3e, pixels %.3e%n", dm, dd);
                assertTrue(dm < 2e-6 && dd < 1e-5, "seams: latent " + dm + ", pixels " + dd);
            }
        } finally {
            vae.stripBudgetBytes(RgbaVae.DEFAULT_STRIP_BYTES);
        }
    }
}
