package org.layered.image;

import org.layered.engine.ComputeDevice;
import org.layered.engine.Ops;
import org.layered.engine.Tensor;
import org.layered.engine.TensorScope;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Conversions between 8-bit RGBA images and the pipeline's pixel tensors, as diffusers' {@code VaeImageProcessor}
 * does them ({@code do_normalize=True}): {@code preprocess} maps {@code u8 -> u8/255*2-1}, channel-first;
 * {@code postprocess} maps {@code [-1, 1] -> clamp(x*0.5+0.5, 0, 1)}, then {@code round(y*255)} half-to-even to
 * uint8 ({@code numpy_to_pil}). Alpha stays straight throughout. Tensors belong to the caller's current scope.
 */
public final class ImageTensors {
    private ImageTensors() {
    }

    /**
     * The condition-image tensor {@code (1, 4, 1, H, W)} float32 in [-1, 1] (the pipeline's
     * {@code preprocess(...).unsqueeze(2)}; upstream then casts it to the text encoder's dtype, which is the
     * caller's business).
     */
    public static Tensor preprocess(RgbaImage image, ComputeDevice device) {
        return Ops.fromFloats(normalizedChw(image), new long[] {1, 4, 1, image.height(), image.width()}, device);
    }

    /**
     * {@code x/255*2-1} per channel, channel-first ({@code 4 x H x W}), with the float32 rounding of upstream:
     * numpy's float32 {@code u8.astype(float32) / 255.0}, then torch's {@code 2.0 * x - 1.0}.
     */
    public static float[] normalizedChw(RgbaImage image) {
        byte[] px = image.data();
        int plane = image.width() * image.height();
        float[] table = new float[256]; // only 256 distinct inputs
        for (int u = 0; u < 256; u++) {
            float v = u / 255f;
            table[u] = 2f * v - 1f;
        }
        float[] out = new float[4 * plane];
        for (int i = 0; i < plane; i++) {
            for (int c = 0; c < 4; c++) {
                out[c * plane + i] = table[px[4 * i + c] & 0xFF];
            }
        }
        return out;
    }

    /**
     * {@code postprocess(images, output_type="np")}: {@code clamp(x*0.5 + 0.5, 0, 1)} in the tensor's dtype (bf16
     * stays bf16, as upstream), returned as float32 {@code B x H x W x C} (channel-last).
     *
     * @param images decoded pixels {@code (B, C, H, W)} in about [-1, 1]
     */
    public static float[] denormalizeHwc(Tensor images) {
        long[] s = images.shape();
        if (s.length != 4) {
            throw new IllegalArgumentException("images must be (batch, channels, height, width), got "
                    + Arrays.toString(s));
        }
        try (TensorScope sc = TensorScope.open()) {
            Tensor half = images.mul(0.5);
            Tensor shifted = half.add(0.5);
            half.close();
            Tensor y = shifted.clamp(0, 1);
            shifted.close();
            Tensor hwc = y.permute(0, 2, 3, 1).copy();
            y.close();
            return hwc.toFloats();
        }
    }

    /**
     * {@code postprocess(images, output_type="pil")} as straight-alpha RGBA images, one per batch element.
     *
     * @param images decoded pixels {@code (B, 4, H, W)} in about [-1, 1]
     */
    public static List<RgbaImage> postprocess(Tensor images) {
        long[] s = images.shape();
        if (s.length != 4 || s[1] != 4) {
            throw new IllegalArgumentException("images must be (batch, 4, height, width) RGBA, got "
                    + Arrays.toString(s));
        }
        float[] hwc = denormalizeHwc(images);
        int b = (int) s[0];
        int h = (int) s[2];
        int w = (int) s[3];
        int per = h * w * 4;
        List<RgbaImage> out = new ArrayList<>(b);
        for (int i = 0; i < b; i++) {
            byte[] px = new byte[per];
            for (int j = 0; j < per; j++) {
                px[j] = (byte) toU8(hwc[i * per + j]);
            }
            out.add(new RgbaImage(w, h, px, true));
        }
        return out;
    }

    /** numpy {@code (y * 255).round().astype(uint8)} for y in [0, 1]: float32 product, half-to-even rounding. */
    static int toU8(float y) {
        float scaled = y * 255f;
        return (int) Math.rint(scaled);
    }
}
