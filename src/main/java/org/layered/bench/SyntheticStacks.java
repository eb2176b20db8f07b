package org.layered.bench;

import org.layered.image.RgbaImage;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Layer stacks with a known structure for measuring the automatic layer count: each case says how many layers a
 * person would keep. Drawn in code (deterministic), 320 x 240.
 *
 * @see org.layered.layers.AutoLayerCount
 */
public final class SyntheticStacks {
    public static final int W = 320;
    public static final int H = 240;

    private SyntheticStacks() {}

    /**
     * One case: the layers (bottom to top), how many of them matter, and what the others are.
     *
     * @param expected the layers a person would keep (1-based, original numbering); the others are padding
     */
    public record Case(String name, List<RgbaImage> layers, List<Integer> expected, String padding) {}

    public static List<Case> cases() {
        List<Case> out = new ArrayList<>();
        RgbaImage bg = background();
        RgbaImage disc = disc(W / 3, H / 2, 50, 200, 40, 40, 255);
        RgbaImage box = box(170, 60, 110, 90, 40, 60, 210, 220);
        // 1 bg, 2 empty, 3 disc, 4 exact duplicate of the disc, 5 faint noise, 6 box, 7 near-duplicate box, 8 speck
        out.add(new Case("3 objects padded to 8", List.of(bg, empty(), disc, disc, noise(2, 7), box,
                shifted(box, 2, 1, 6), box(300, 10, 3, 3, 255, 255, 255, 255)), List.of(1, 3, 6),
                "an empty layer, a duplicate, a near-duplicate, faint noise (alpha <= 2), a 3x3 speck"));
        out.add(new Case("a faint veil is kept", List.of(bg, disc, veil(40)), List.of(1, 2, 3),
                "none: a white veil at alpha 40 changes every pixel a little"));
        out.add(new Case("a small sharp object is kept, a tiny one dropped", List.of(bg,
                box(40, 40, 20, 20, 0, 0, 0, 255), box(250, 180, 8, 8, 0, 0, 0, 255)), List.of(1, 2),
                "an 8x8 object (0.08% of the image)"));
        out.add(new Case("a layer hidden under an opaque one", List.of(bg, box(0, 0, W, H, 90, 90, 90, 255),
                disc), List.of(2, 3), "the background, fully covered by layer 2"));
        return out;
    }

    static RgbaImage background() {
        byte[] px = new byte[W * H * 4];
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                int i = 4 * (y * W + x);
                px[i] = (byte) (40 + 150 * x / W);
                px[i + 1] = (byte) (60 + 120 * y / H);
                px[i + 2] = (byte) 140;
                px[i + 3] = (byte) 255;
            }
        }
        return new RgbaImage(W, H, px);
    }

    static RgbaImage empty() {
        return new RgbaImage(W, H, new byte[W * H * 4]);
    }

    static RgbaImage disc(int cx, int cy, int r, int red, int green, int blue, int alpha) {
        byte[] px = new byte[W * H * 4];
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                double d = Math.hypot(x - cx, y - cy);
                put(px, x, y, red, green, blue, (int) Math.round(alpha * Math.max(0, Math.min(1, r + 0.5 - d))));
            }
        }
        return new RgbaImage(W, H, px);
    }

    static RgbaImage box(int x0, int y0, int w, int h, int red, int green, int blue, int alpha) {
        byte[] px = new byte[W * H * 4];
        for (int y = y0; y < Math.min(H, y0 + h); y++) {
            for (int x = x0; x < Math.min(W, x0 + w); x++) {
                put(px, x, y, red, green, blue, alpha);
            }
        }
        return new RgbaImage(W, H, px);
    }

    private static void put(byte[] px, int x, int y, int red, int green, int blue, int alpha) {
        int i = 4 * (y * W + x);
        px[i] = (byte) red;
        px[i + 1] = (byte) green;
        px[i + 2] = (byte) blue;
        px[i + 3] = (byte) alpha;
    }

    /** {@code layer} moved by (dx, dy) with every colour raised by {@code brighter} levels. */
    static RgbaImage shifted(RgbaImage layer, int dx, int dy, int brighter) {
        byte[] src = layer.rgba();
        byte[] px = new byte[src.length];
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                int sx = x - dx;
                int sy = y - dy;
                if (sx < 0 || sy < 0 || sx >= W || sy >= H) {
                    continue;
                }
                int s = 4 * (sy * W + sx);
                int d = 4 * (y * W + x);
                for (int c = 0; c < 3; c++) {
                    px[d + c] = (byte) Math.min(255, (src[s + c] & 0xFF) + brighter);
                }
                px[d + 3] = src[s + 3];
            }
        }
        return new RgbaImage(W, H, px);
    }

    /** Random colours at alpha 0 .. {@code maxAlpha}. */
    static RgbaImage noise(int maxAlpha, long seed) {
        Random r = new Random(seed);
        byte[] px = new byte[W * H * 4];
        r.nextBytes(px);
        for (int i = 3; i < px.length; i += 4) {
            px[i] = (byte) r.nextInt(maxAlpha + 1);
        }
        return new RgbaImage(W, H, px);
    }

    static RgbaImage veil(int alpha) {
        return box(0, 0, W, H, 255, 255, 255, alpha);
    }
}
