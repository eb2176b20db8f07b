package org.layered.model.text.vision;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import org.junit.jupiter.api.Test;
import org.layered.image.RgbaImage;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Case 4b of the text-encoder goldens: {@code Qwen2VLImageProcessor} (slow, PIL) outputs. */
class QwenImageProcessorGoldenTest {
    private static final String FILE = "image_processor.safetensors";

    @Test
    void configIsReadFromThePreprocessorFile() throws Exception {
        ImageProcessorConfig c = ImageProcessorConfig.read(VisionGolden.dir().resolve("processor"));
        assertEquals(ImageProcessorConfig.qwen25Vl(), c);
        assertEquals(28, c.factor());
        assertEquals(1176, c.patchDim());
    }

    @Test
    void smartResizeTable() throws Exception {
        JsonObject json = JsonParser.parseString(Files.readString(VisionGolden.dir().resolve("image_processor.json"),
                StandardCharsets.UTF_8)).getAsJsonObject();
        JsonArray table = json.getAsJsonArray("smart_resize");
        int checked = 0;
        for (JsonElement e : table) {
            JsonObject o = e.getAsJsonObject();
            int h = o.get("height").getAsInt();
            int w = o.get("width").getAsInt();
            int f = o.get("factor").getAsInt();
            long min = o.get("min_pixels").getAsLong();
            long max = o.get("max_pixels").getAsLong();
            JsonElement r = o.get("result_hw");
            if (r.isJsonArray()) {
                int[] got = QwenImageProcessor.smartResize(h, w, f, min, max);
                assertArrayEquals(new int[] {r.getAsJsonArray().get(0).getAsInt(), r.getAsJsonArray().get(1).getAsInt()},
                        got, h + "x" + w + " min " + min + " max " + max);
            } else {
                IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                        () -> QwenImageProcessor.smartResize(h, w, f, min, max));
                assertTrue(r.getAsString().contains(ex.getMessage()), ex.getMessage() + " vs " + r.getAsString());
            }
            checked++;
        }
        assertEquals(21, checked);
    }

    static RgbaImage input(String name) {
        VisionGolden.Tensor t = VisionGolden.get(FILE, name + ".input_u8");
        int h = (int) t.shape()[0];
        int w = (int) t.shape()[1];
        int c = (int) t.shape()[2];
        byte[] rgba = new byte[h * w * 4];
        for (int i = 0; i < h * w; i++) {
            for (int k = 0; k < 4; k++) {
                rgba[4 * i + k] = k < c ? (byte) t.longs()[i * c + k] : (byte) 255;
            }
        }
        return new RgbaImage(w, h, rgba);
    }

    private static void check(String name, String input, ImageProcessorConfig config) {
        QwenImageProcessor p = new QwenImageProcessor(config);
        QwenImageProcessor.Processed out = p.process(input(input));
        long[] grid = VisionGolden.get(FILE, name + ".image_grid_thw").longs();
        assertArrayEquals(grid, out.gridThw(), name + " grid");
        VisionGolden.Tensor slow = VisionGolden.get(FILE, name + ".pixel_values_slow");
        VisionGolden.Tensor fast = VisionGolden.get(FILE, name + ".pixel_values_fast");
        assertArrayEquals(slow.shape(), new long[] {out.patches(), out.patchDim()});
        double dSlow = VisionGolden.maxAbsDiff(out.pixelValues(), slow.values());
        double dFast = VisionGolden.maxAbsDiff(out.pixelValues(), fast.values());
        String resizedInfo = "";
        if (!name.equals("img_b_maxpix")) {
            VisionGolden.Tensor rs = VisionGolden.get(FILE, name + ".resized_u8_slow");
            int mismatches = 0;
            int maxDiff = 0;
            for (int i = 0; i < rs.longs().length; i++) {
                int d = Math.abs((int) rs.longs()[i] - (out.resizedRgb()[i] & 0xFF));
                if (d != 0) {
                    mismatches++;
                    maxDiff = Math.max(maxDiff, d);
                }
            }
            resizedInfo = ", resized u8 vs PIL: " + mismatches + " of " + rs.longs().length + " differ (max "
                    + maxDiff + ")";
            assertEquals(0, mismatches, name + " resized bytes differ from Pillow's");
        }
        System.out.printf("image processor %-13s grid %s: max |diff| vs slow %.3g, vs fast %.3g%s%n", name,
                java.util.Arrays.toString(out.gridThw()), dSlow, dFast, resizedInfo);
        assertTrue(dSlow <= 1e-6, name + " vs slow processor: " + dSlow);
        assertTrue(dFast <= 1.0 / 255 / 0.2613 + 1e-5, name + " vs fast processor: " + dFast);
    }

    @Test
    void imagesMatchTheSlowProcessor() {
        ImageProcessorConfig c = ImageProcessorConfig.qwen25Vl();
        for (String name : new String[] {"img_a", "img_b", "img_c", "img_d"}) {
            check(name, name, c);
        }
        check("img_b_maxpix", "img_b", c.withPixels(c.minPixels(), 9408));
    }

    @Test
    void mergedTokenCounts() {
        QwenImageProcessor p = new QwenImageProcessor(ImageProcessorConfig.qwen25Vl());
        // the pipeline's 640 bucket for a square image: 644x644 -> grid (1, 46, 46) -> 529 tokens
        QwenImageProcessor.Processed out = p.process(new RgbaImage(640, 640, new byte[640 * 640 * 4]));
        assertArrayEquals(new long[] {1, 46, 46}, out.gridThw());
        assertEquals(529, out.mergedTokens());
    }
}
