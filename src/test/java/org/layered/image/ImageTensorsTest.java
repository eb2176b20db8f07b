package org.layered.image;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.layered.engine.ComputeDevice;
import org.layered.engine.DType;
import org.layered.engine.Ops;
import org.layered.engine.Tensor;
import org.layered.engine.TensorScope;
import org.layered.pipeline.GoldenFiles;

import java.awt.image.BufferedImage;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code VaeImageProcessor.preprocess / postprocess} against {@code preprocess.*} and {@code postprocess.*}. */
class ImageTensorsTest {
    private static GoldenFiles g;

    @BeforeAll
    static void open() {
        g = GoldenFiles.helpers();
    }

    @AfterAll
    static void close() {
        g.close();
    }

    @Test
    void preprocessFromGoldenResize() {
        checkPreprocess("resize.to_48x64_u8", "preprocess.to_48x64");
        checkPreprocess("resize.to_32x48_u8", "preprocess.to_32x48");
    }

    private static void checkPreprocess(String imageKey, String key) {
        RgbaImage img = LanczosResizeTest.image(g, imageKey);
        try (TensorScope s = TensorScope.open()) {
            Tensor t = ImageTensors.preprocess(img, ComputeDevice.CPU);
            assertArrayEquals(new long[] {1, 4, 1, img.height(), img.width()}, t.shape());
            assertEquals(DType.F32, t.dtype());
            long[] gs = g.shape(key);
            assertArrayEquals(gs, t.squeeze(2).shape());
            float[] got = t.toFloats();
            float[] want = g.floats(key);
            double err = GoldenFiles.maxAbsDiff(got, want);
            System.out.printf("%-22s max |err| %.3g (%d bit diffs)%n", key, err, GoldenFiles.bitDiffs(got, want));
            assertEquals(0, GoldenFiles.bitDiffs(got, want), key);
        }
    }

    @Test
    void postprocessNpAndPil() {
        try (TensorScope s = TensorScope.open()) {
            Tensor in = g.tensor("postprocess.in"); // (1, 4, 3, 5)
            float[] np = ImageTensors.denormalizeHwc(in);
            float[] wantNp = g.floats("postprocess.np");
            double err = GoldenFiles.maxAbsDiff(np, wantNp);
            System.out.printf("%-22s max |err| %.3g (%d bit diffs)%n", "postprocess.np", err,
                    GoldenFiles.bitDiffs(np, wantNp));
            assertEquals(0.0, err, 1e-6);

            List<RgbaImage> imgs = ImageTensors.postprocess(in);
            assertEquals(1, imgs.size());
            RgbaImage img = imgs.get(0);
            long[] shape = g.shape("postprocess.pil_u8"); // (1, H, W, 4)
            assertEquals(shape[1], img.height());
            assertEquals(shape[2], img.width());
            byte[] want = g.bytes("postprocess.pil_u8");
            byte[] got = img.rgba();
            int differ = 0;
            for (int i = 0; i < got.length; i++) {
                if (got[i] != want[i]) {
                    differ++;
                }
            }
            System.out.printf("%-22s %d of %d values differ%n", "postprocess.pil_u8", differ, got.length);
            assertEquals(0, differ);
        }
    }

    @Test
    void postprocessRoundsHalfToEven() {
        // y*255 = 0.5 -> 0 and 1.5 -> 2 (numpy), x = 2y - 1
        try (TensorScope s = TensorScope.open()) {
            float y1 = 0.5f / 255f;
            float[] v = new float[4];
            v[0] = 2 * y1 - 1;
            v[1] = -1f;
            v[2] = 1f;
            v[3] = 5f; // clamped
            Tensor t = Ops.fromFloats(v, new long[] {1, 4, 1, 1}, ComputeDevice.CPU);
            RgbaImage img = ImageTensors.postprocess(t).get(0);
            assertEquals(Math.rint((v[0] * 0.5f + 0.5f) * 255f), img.get(0, 0, 0));
            assertEquals(0, img.get(0, 0, 1));
            assertEquals(255, img.get(0, 0, 2));
            assertEquals(255, img.get(0, 0, 3));
            assertEquals(0, ImageTensors.toU8(0.5f / 255f));
            assertEquals(2, ImageTensors.toU8(1.5f / 255f));
        }
    }

    @Test
    void preprocessThenPostprocessIsIdentity() {
        RgbaImage img = LanczosResizeTest.image(g, "resize.src_u8");
        try (TensorScope s = TensorScope.open()) {
            Tensor t = ImageTensors.preprocess(img, ComputeDevice.CPU).squeeze(2);
            assertEquals(img, ImageTensors.postprocess(t).get(0));
        }
    }

    @Test
    void bufferedImageRoundTrip() {
        RgbaImage img = LanczosResizeTest.image(g, "resize.src_u8");
        BufferedImage bi = img.toBufferedImage();
        assertEquals(BufferedImage.TYPE_INT_ARGB, bi.getType());
        assertTrue(!bi.isAlphaPremultiplied());
        int argb = bi.getRGB(3, 2);
        assertEquals(img.get(3, 2, 3), argb >>> 24);
        assertEquals(img.get(3, 2, 0), (argb >>> 16) & 0xFF);
        assertEquals(img, RgbaImage.fromBufferedImage(bi));
        byte[] opaque = img.rgba();
        for (int i = 3; i < opaque.length; i += 4) {
            opaque[i] = (byte) 255;
        }
        assertTrue(new RgbaImage(img.width(), img.height(), opaque).isOpaque());
    }
}
