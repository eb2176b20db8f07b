package org.layered.pipeline;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code calculate_dimensions} and the derived grids against the helpers golden table. */
class ResolutionBucketTest {
    @Test
    void everyGoldenEntry() {
        int n = 0;
        for (JsonElement e : GoldenFiles.json("helpers/helpers_golden.json").getAsJsonArray("calculate_dimensions")) {
            JsonObject o = e.getAsJsonObject();
            int res = o.get("resolution").getAsInt();
            int iw = o.get("image_w").getAsInt();
            int ih = o.get("image_h").getAsInt();
            String what = res + " " + iw + "x" + ih;
            long[] calc = ResolutionBucket.calculateDimensions((double) res * res, (double) iw / ih);
            long[] want = {o.get("calculated_width").getAsLong(), o.get("calculated_height").getAsLong()};
            assertArrayEquals(want, calc, what);
            ResolutionBucket b = ResolutionBucket.forImage(res, iw, ih);
            assertEquals(o.get("width").getAsInt(), b.width(), what);
            assertEquals(o.get("height").getAsInt(), b.height(), what);
            assertEquals(o.get("latent_w").getAsInt(), b.latentWidth(), what);
            assertEquals(o.get("latent_h").getAsInt(), b.latentHeight(), what);
            assertEquals(o.get("tokens_per_frame").getAsInt(), b.tokensPerFrame(), what);
            assertEquals(b.latentHeight() / 2 * (b.latentWidth() / 2), b.gridHeight() * b.gridWidth(), what);
            assertEquals(o.get("mu").getAsDouble(), b.mu(), 0.0, what); // bit-exact double
            n++;
        }
        assertTrue(n >= 16, "entries checked: " + n);
        System.out.println("calculate_dimensions: " + n + " golden entries exact");
    }

    @Test
    void specWorkedExamples() {
        // model-spec §4.1 table (not in the golden JSON)
        assertBucket(640, 1600, 1200, 736, 544, 1564);
        assertBucket(640, 3000, 2000, 768, 512, 1536);
        assertBucket(640, 2480, 3508, 544, 768, 1632);
        assertBucket(640, 4000, 1000, 1280, 320, 1600);
        assertBucket(1024, 1600, 1200, 1184, 896, 4144);
    }

    private static void assertBucket(int res, int w0, int h0, int w, int h, int tokens) {
        ResolutionBucket b = ResolutionBucket.forImage(res, w0, h0);
        assertEquals(w, b.width());
        assertEquals(h, b.height());
        assertEquals(tokens, b.tokensPerFrame());
    }

    @Test
    void halfToEvenRounding() {
        // width/32 = 2.5 exactly rounds to 2 (Python), not 3 (Math.round); 3.5 rounds to 4
        assertArrayEquals(new long[] {64, 64}, ResolutionBucket.calculateDimensions(80.0 * 80.0, 1.0));
        assertArrayEquals(new long[] {128, 128}, ResolutionBucket.calculateDimensions(112.0 * 112.0, 1.0));
    }

    @Test
    void rejectsOtherResolutionsAndDegenerateSizes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ResolutionBucket.forImage(512, 100, 100));
        assertTrue(e.getMessage().contains("640 or 1024"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ResolutionBucket.forImage(640, 0, 100));
        assertThrows(IllegalArgumentException.class, () -> ResolutionBucket.forImage(640, 100000, 1));
        assertThrows(IllegalArgumentException.class, () -> new ResolutionBucket(640, 100, 64));
    }
}
