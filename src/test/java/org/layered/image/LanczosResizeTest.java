package org.layered.image;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.layered.pipeline.GoldenFiles;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Pillow 11.1 Lanczos on RGBA (premultiplied) against {@code resize.*}. */
class LanczosResizeTest {
    private static GoldenFiles g;

    @BeforeAll
    static void open() {
        g = GoldenFiles.helpers();
    }

    @AfterAll
    static void close() {
        g.close();
    }

    private static RgbaImage image(String key) {
        return image(g, key);
    }

    /** A golden U8 {@code H x W x 4} tensor as an image. */
    static RgbaImage image(GoldenFiles g, String key) {
        long[] s = g.shape(key); // H x W x 4
        assertEquals(4, s[2]);
        return new RgbaImage((int) s[1], (int) s[0], g.bytes(key));
    }

    private static void check(String key) {
        RgbaImage src = image("resize.src_u8");
        RgbaImage want = image(key);
        RgbaImage got = LanczosResize.resize(src, want.width(), want.height());
        assertEquals(want.width(), got.width());
        assertEquals(want.height(), got.height());
        byte[] a = got.rgba();
        byte[] b = want.rgba();
        int differ = 0;
        int maxDiff = 0;
        for (int i = 0; i < a.length; i++) {
            int d = Math.abs((a[i] & 0xFF) - (b[i] & 0xFF));
            if (d != 0) {
                differ++;
            }
            maxDiff = Math.max(maxDiff, d);
        }
        System.out.printf("%-20s %dx%d -> %dx%d: %d of %d values differ, max |diff| %d%n", key, src.width(),
                src.height(), got.width(), got.height(), differ, a.length, maxDiff);
        assertEquals(0, maxDiff, key + ": Pillow integer arithmetic is reproduced exactly");
    }

    @Test
    void downAndUp() {
        check("resize.to_48x64_u8"); // 50x37 -> 64x48: upscale both ways
        check("resize.to_32x48_u8"); // 50x37 -> 48x32: downscale both ways
    }

    @Test
    void sameSizeIsUntouched() {
        RgbaImage src = image("resize.src_u8");
        assertSame(src, LanczosResize.resize(src, src.width(), src.height()));
        assertArrayEquals(src.rgba(), LanczosResize.resizeRgba(src.rgba(), src.width(), src.height(),
                src.width(), src.height()));
    }

    @Test
    void onlyOneAxisAndConstantImages() {
        // a constant opaque image stays constant whatever the filter's negative lobes do
        byte[] px = new byte[7 * 5 * 4];
        for (int i = 0; i < px.length; i += 4) {
            px[i] = 10;
            px[i + 1] = (byte) 200;
            px[i + 2] = (byte) 255;
            px[i + 3] = (byte) 255;
        }
        RgbaImage c = new RgbaImage(7, 5, px);
        for (int[] size : new int[][] {{7, 11}, {3, 5}, {20, 2}, {1, 1}}) {
            RgbaImage r = LanczosResize.resize(c, size[0], size[1]);
            for (int i = 0; i < r.width() * r.height(); i++) {
                assertEquals(10, r.get(i % r.width(), i / r.width(), 0));
                assertEquals(200, r.get(i % r.width(), i / r.width(), 1));
                assertEquals(255, r.get(i % r.width(), i / r.width(), 2));
                assertEquals(255, r.get(i % r.width(), i / r.width(), 3));
            }
        }
        assertThrows(IllegalArgumentException.class, () -> LanczosResize.resize(c, 0, 4));
    }
}
