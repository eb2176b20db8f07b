package org.layered.export;

import org.layered.image.PixelSize;
import org.layered.image.RgbaImage;
import org.layered.layers.Compositor;
import org.layered.layers.LayerStack;
import org.layered.layers.LayerTree;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Layer stacks for the exporter tests: random colour under every alpha, long runs, fully clear and opaque pixels. */
final class TestStacks {
    private TestStacks() {}

    static LayerStack random(int w, int h, int layers, long seed) {
        Random r = new Random(seed);
        List<RgbaImage> out = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            byte[] px = new byte[w * h * 4];
            int mode = l % 3;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int i = (y * w + x) * 4;
                    int a;
                    if (l == 0) {
                        a = 255; // opaque background
                    } else if (mode == 1) {
                        a = (x + y) % 7 == 0 ? r.nextInt(256) : (x < w / 2 ? 0 : 255); // runs plus noise
                    } else {
                        a = r.nextInt(4) == 0 ? 0 : r.nextInt(256);
                    }
                    boolean flat = mode == 2 && y % 2 == 0;
                    px[i] = (byte) (flat ? 200 : r.nextInt(256));
                    px[i + 1] = (byte) (flat ? 200 : r.nextInt(256));
                    px[i + 2] = (byte) (flat ? 17 : r.nextInt(256));
                    px[i + 3] = (byte) a;
                }
            }
            out.add(new RgbaImage(w, h, px));
        }
        return new LayerStack(out, Compositor.over(out), null);
    }

    /** A stack whose top layer is partly transparent everywhere, so the composite has alpha below 255. */
    static LayerStack transparent(int w, int h, int layers, long seed) {
        Random r = new Random(seed);
        List<RgbaImage> out = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            byte[] px = new byte[w * h * 4];
            r.nextBytes(px);
            for (int i = 3; i < px.length; i += 8) {
                px[i] = 0;
            }
            out.add(new RgbaImage(w, h, px));
        }
        return new LayerStack(out, Compositor.over(out), null);
    }

    /**
     * A result whose layer 2 was decomposed again: Layer 1, group "Layer 2" of sub-layers "a" and "b", Layer 3,
     * with 0.5 µm pixels.
     */
    static LayerDocument nested(int w, int h, long seed) {
        List<RgbaImage> l = random(w, h, 5, seed).layers();
        LayerTree tree = new LayerTree(List.of(new LayerTree.Leaf("Layer 1", l.get(0)),
                new LayerTree.Group("Layer 2", List.of(new LayerTree.Leaf("a", l.get(1)),
                        new LayerTree.Leaf("b", l.get(2)))),
                new LayerTree.Leaf("Layer 3", l.get(3))));
        return LayerDocument.of(tree, new PixelSize(0.5, 0.5, "µm"));
    }

    static List<String> names(int n) {
        List<String> names = new ArrayList<>();
        String[] special = {"Hintergrund (Straße)", "猫 & <dog>", "café \"quoted\" 'x'", "emoji 🐱 layer", ""};
        for (int i = 0; i < n; i++) {
            names.add(i < special.length ? special[i] : "layer " + i);
        }
        return names;
    }
}
