package org.layered.image;

/**
 * A deterministic RGBA test picture for benchmarks and tests: colour ramps, an opaque disc and a half-transparent
 * band at the bottom, so resizing, premultiplication and compositing all have something to do.
 */
public final class TestPattern {
    private TestPattern() {}

    public static RgbaImage rgba(int width, int height) {
        byte[] px = new byte[width * height * 4];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int i = 4 * (y * width + x);
                double dx = x - width / 2.0;
                double dy = y - height / 2.0;
                boolean disc = dx * dx + dy * dy < Math.pow(Math.min(width, height) / 4.0, 2);
                px[i] = (byte) (disc ? 230 : 255 * x / Math.max(1, width - 1));
                px[i + 1] = (byte) (disc ? 40 : 255 * y / Math.max(1, height - 1));
                px[i + 2] = (byte) (disc ? 60 : 128);
                px[i + 3] = (byte) (y > height * 3 / 4 ? 128 : 255);
            }
        }
        return new RgbaImage(width, height, px);
    }
}
