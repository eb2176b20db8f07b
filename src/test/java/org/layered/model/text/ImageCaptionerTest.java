package org.layered.model.text;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.layered.engine.ComputeDevice;
import org.layered.engine.Precision;
import org.layered.engine.TensorScope;
import org.layered.image.RgbaImage;
import org.layered.weights.residency.ResidencyPolicy;
import org.layered.engine.Cancellation;
import org.layered.weights.safetensors.SafetensorsFile;
import org.layered.weights.safetensors.TensorInfo;
import org.layered.weights.safetensors.TensorValues;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link ImageCaptioner} on the tiny random model with the real tokenizer (ids mapped as the goldens map them). */
class ImageCaptionerTest {
    private static ImageCaptioner captioner;

    static long toTokenizer(long modelId) {
        return modelId >= 490 ? modelId - 490 + 151643 : modelId;
    }

    static ImageCaptioner.Options options() {
        return ImageCaptioner.Options.defaults(ComputeDevice.CPU).withPrecision(Precision.FLOAT32)
                .withResidency(ResidencyPolicy.resident())
                .withTokenIdMaps(TextGolden::tinyId, ImageCaptionerTest::toTokenizer);
    }

    @BeforeAll
    static void open() throws IOException {
        captioner = ImageCaptioner.open(TextGolden.textEncoderDir(), TextGolden.realTokenizer(),
                TextGolden.textEncoderDir().resolve("processor"), options());
    }

    @AfterAll
    static void close() throws IOException {
        if (captioner != null) {
            captioner.close();
        }
    }

    static RgbaImage imageB() throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(TextGolden.textEncoderDir()
                .resolve("image_processor.safetensors"))) {
            TensorInfo t = f.info("img_b.input_u8");
            long[] px = TensorValues.toLongs(t, f.data(t.name()));
            byte[] b = new byte[px.length];
            for (int i = 0; i < b.length; i++) {
                b[i] = (byte) px[i];
            }
            return new RgbaImage((int) t.shape()[1], (int) t.shape()[0], b);
        }
    }

    @Test
    void processorInputsMatchGolden() throws IOException {
        RgbaImage b = imageB();
        RgbaImage square = new RgbaImage(640, 640, new byte[640 * 640 * 4]);
        int checked = 0;
        for (JsonElement e : TextGolden.tokenizerGolden().getAsJsonObject("caption").getAsJsonArray("cases")) {
            JsonObject c = e.getAsJsonObject();
            boolean english = c.get("lang").getAsString().equals("en");
            RgbaImage img = c.getAsJsonArray("image_hw").get(0).getAsInt() == 640 ? square : b;
            ImageCaptioner.Prepared p = captioner.prepare(img, english);
            assertArrayEquals(GenerationPiecesTest.longs(c.getAsJsonArray("input_ids")), p.tokenizerIds(),
                    c.get("note").getAsString());
            long[] grid = GenerationPiecesTest.longs(c.getAsJsonArray("image_grid_thw"));
            assertArrayEquals(grid, p.processed().gridThw());
            assertEquals(c.get("n_image_tokens").getAsInt(), p.processed().mergedTokens());
            for (int i = 0; i < p.tokenizerIds().length; i++) {
                assertEquals(TextGolden.tinyId(p.tokenizerIds()[i]), p.input().inputIds()[i]);
            }
            checked++;
        }
        assertEquals(4, checked);
    }

    @Test
    void captionReportsProgressAndDecodes() throws IOException {
        List<String> stages = new ArrayList<>();
        List<Integer> batches = new ArrayList<>();
        CaptionProgress progress = new CaptionProgress() {
            @Override
            public void stage(String name) {
                stages.add(name);
            }

            @Override
            public void tokens(int generated, int max, String partial) {
                batches.add(generated);
                assertEquals(20, max);
            }
        };
        String caption = captioner.caption(imageB(), true, 20, progress, new Cancellation());
        assertTrue(stages.containsAll(List.of("process image", "generate caption")), stages.toString());
        assertFalse(batches.isEmpty());
        int last = batches.get(batches.size() - 1);
        for (int i = 0; i < batches.size() - 1; i++) {
            assertEquals((i + 1) * 8, batches.get(i));
        }
        assertTrue(last <= 20);

        // the same tokens through the model directly, decoded as get_image_caption does
        ImageCaptioner.Prepared p = captioner.prepare(imageB(), true);
        long[] ids = captioner.model().generate(p.input(), captioner.generationConfig(), 20,
                Qwen25VLModel.TokenListener.NONE, null, null);
        assertEquals(last, ids.length);
        long[] tok = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            tok[i] = toTokenizer(ids[i]);
        }
        assertEquals(ImageCaptioner.pythonStrip(TextGolden.realTokenizer().decode(tok, true)), caption);
        System.out.println("tiny-model caption (" + ids.length + " tokens): \"" + caption + "\"");
        assertEquals(0, TensorScope.depth());
    }

    @Test
    void cancellationDuringGeneration() throws IOException {
        Cancellation cancel = new Cancellation();
        int[] seen = {0};
        CaptionProgress progress = new CaptionProgress() {
            @Override
            public void tokens(int generated, int max, String partial) {
                seen[0] = generated;
                if (generated >= 3) {
                    cancel.cancel();
                }
            }
        };
        try (ImageCaptioner c = ImageCaptioner.open(TextGolden.textEncoderDir(), TextGolden.realTokenizer(), null,
                options().withProgressInterval(1))) {
            assertThrows(Cancellation.CancelledException.class,
                    () -> c.caption(imageB(), false, 50, progress, cancel));
            assertEquals(3, seen[0]);
            assertEquals(0, TensorScope.depth());
            assertTrue(c.isModelLoaded());
            // still usable afterwards
            String again = c.caption(imageB(), false, 4, CaptionProgress.NONE, new Cancellation());
            assertTrue(again != null);
        }
        Cancellation early = new Cancellation();
        early.cancel();
        assertThrows(Cancellation.CancelledException.class,
                () -> captioner.caption(imageB(), true, 5, CaptionProgress.NONE, early));
    }

    @Test
    void releaseAfterCaption() throws IOException {
        try (ImageCaptioner c = ImageCaptioner.open(TextGolden.textEncoderDir(), TextGolden.realTokenizer(), null,
                options().withReleaseAfterCaption(true))) {
            assertFalse(c.isModelLoaded());
            c.caption(imageB(), true, 2, CaptionProgress.NONE, null);
            assertFalse(c.isModelLoaded());
            assertEquals(1, c.modelLoads());
        }
    }
}
