package org.layered.layers;

import org.junit.jupiter.api.Test;
import org.layered.bench.SyntheticStacks;
import org.layered.image.RgbaImage;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The automatic layer count on stacks whose structure is known, and its rules one by one. */
class AutoLayerCountTest {
    @Test
    void syntheticStacksKeepExactlyTheLayersThatMatter() {
        for (SyntheticStacks.Case c : SyntheticStacks.cases()) {
            AutoLayerCount.Result r = AutoLayerCount.reduce(c.layers());
            List<Integer> firstSources = r.sources().stream().map(s -> s.get(0)).toList();
            assertEquals(c.expected(), firstSources, c.name() + ": " + r.decisions());
            assertEquals(c.layers().size(), r.decisions().size());
            Compositor.Error e = Compositor.error(Compositor.over(r.layers()), Compositor.over(c.layers()));
            assertTrue(e.meanAbs() < AutoLayerCount.MIN_CONTRIBUTION, c.name() + ": composite moved by "
                    + e.meanAbs());
        }
    }

    @Test
    void everyLayerGetsADecisionWithItsReason() {
        SyntheticStacks.Case padded = SyntheticStacks.cases().get(0);
        List<AutoLayerCount.Decision> d = AutoLayerCount.reduce(padded.layers()).decisions();
        assertEquals(AutoLayerCount.Action.KEPT, d.get(0).action());
        assertEquals(1, d.get(0).into());
        assertEquals(AutoLayerCount.Action.DROPPED, d.get(1).action(), d.get(1).reason());
        assertEquals(0, d.get(1).into());
        assertEquals(0.0, d.get(1).coverage());
        // two identical discs with soft edges: leaving either out changes the edge visibly, so they are merged
        assertEquals(AutoLayerCount.Action.MERGED, d.get(2).action(), d.get(2).reason());
        assertEquals(2, d.get(3).into());
        assertEquals(AutoLayerCount.Action.MERGED, d.get(5).action());
        assertEquals(AutoLayerCount.Action.MERGED, d.get(6).action());
        assertEquals(3, d.get(5).into());
        assertTrue(d.get(5).reason().startsWith("merged with original layer 7: coverage overlap"), d.get(5).reason());
        assertTrue(d.get(7).reason().startsWith("dropped: leaving it out changes the composite by"),
                d.get(7).reason());
        assertTrue(d.get(0).reason().startsWith("kept: leaving it out changes the composite by"), d.get(0).reason());
    }

    @Test
    void oneLayerAlwaysStaysAndNeighboursOnlyAreMerged() {
        RgbaImage clear = new RgbaImage(4, 4, new byte[64]);
        AutoLayerCount.Result r = AutoLayerCount.reduce(List.of(clear, clear));
        assertEquals(1, r.layers().size(), "an empty result still has one layer");
        byte[] red = new byte[64];
        byte[] blue = new byte[64];
        for (int i = 0; i < 64; i += 4) {
            red[i] = (byte) 200;
            red[i + 3] = (byte) 200;
            blue[i + 2] = (byte) 200;
            blue[i + 3] = (byte) 200;
        }
        RgbaImage a = new RgbaImage(4, 4, red);
        RgbaImage b = new RgbaImage(4, 4, blue);
        // red, blue, red: the reds are duplicates but not neighbours, and blue between them shows
        assertEquals(3, AutoLayerCount.reduce(List.of(a, b, a)).layers().size());
    }
}
