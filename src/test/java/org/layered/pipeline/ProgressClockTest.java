package org.layered.pipeline;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class ProgressClockTest {
    @Test
    void elapsedFromTheFirstStageAndTimeLeftFromTheMeanStep() {
        long[] now = {5_000_000_000L};
        ProgressClock c = new ProgressClock(() -> now[0]);
        c.stage(); // preprocess
        now[0] += 3_000_000_000L;
        c.stage(); // denoise
        now[0] += 2_000_000_000L;
        assertEquals(2.0, c.step(1, 10), 1e-9);
        now[0] += 4_000_000_000L;
        assertEquals(4.0, c.step(2, 10), 1e-9);
        assertEquals(9.0, c.elapsed(), 1e-9);
        assertEquals(3.0 * 8, c.left(2, 10), 1e-9, "mean step 3 s, 8 to go");
        assertEquals("step 2/10, elapsed 0:09, about 0:24 left", c.stepText(2, 10));
        assertEquals("step 10/10, elapsed 0:09", c.stepText(10, 10), "nothing left at the last step");
        assertEquals("1:01:05", ProgressClock.duration(3665));
        assertEquals("0:59", ProgressClock.duration(59.4));
    }
}
