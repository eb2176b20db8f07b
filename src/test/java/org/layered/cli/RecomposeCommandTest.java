package org.layered.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layered.export.PngLayerWriter;
import org.layered.image.RgbaImage;
import org.layered.layers.Compositor;
import org.layered.testing.TinyModel;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code layered recompose} on the layers of one real run of the golden (upstream-initialised) VAE and transformer,
 * saved in every format that can be read back.
 */
class RecomposeCommandTest {
    @TempDir
    static Path dir;
    static Path result;

    @BeforeAll
    static void decomposeOnce() throws Exception {
        Path model = TinyModel.golden(dir.resolve("golden-model"));
        Path image = dir.resolve("in.png");
        PngLayerWriter.write(TinyModel.image(72, 60), image);
        result = dir.resolve("result");
        CliRun r = CliRun.of("decompose", "--model", model.toString(), "--image", image.toString(), "--out",
                result.toString(), "--layers", "3", "--steps", "1", "--cfg", "1", "--seed", "3", "--device", "cpu",
                "--inputs", CliFixtures.root().resolve("embeds.safetensors").toString(), "--format", "png,ora,tiff");
        assertEquals(0, r.code(), r.err());
    }

    /** The largest difference of any channel of any pixel. */
    static int maxDiff(RgbaImage a, RgbaImage b) {
        assertEquals(a.width(), b.width());
        assertEquals(a.height(), b.height());
        byte[] x = a.rgba();
        byte[] y = b.rgba();
        int max = 0;
        for (int i = 0; i < x.length; i++) {
            max = Math.max(max, Math.abs((x[i] & 0xFF) - (y[i] & 0xFF)));
        }
        return max;
    }

    @Test
    void eachSavedFormatRecomposesToTheRunsCompositeWithinOneLevel() throws Exception {
        RgbaImage composite = PngLayerWriter.read(result.resolve("composite.png"));
        for (Path in : List.of(result, result.resolve("layers.ora"), result.resolve("layers.tif"))) {
            Path out = dir.resolve("re-" + in.getFileName() + ".png");
            CliRun r = CliRun.of("recompose", "--in", in.toString(), "--out", out.toString());
            assertEquals(0, r.code(), r.err());
            assertTrue(r.out().contains("the composite of 3 of 3 layers"), r.out());
            assertTrue(maxDiff(composite, PngLayerWriter.read(out)) <= 1, in.toString());
        }
    }

    @Test
    void anEditedLayerChangesOnlyItsOwnContribution() throws Exception {
        Path edited = dir.resolve("edited");
        Files.createDirectories(edited);
        for (String f : new String[] {"layer-1.png", "layer-2.png", "layer-3.png", "manifest.json"}) {
            Files.copy(result.resolve(f), edited.resolve(f));
        }
        // paint layer 2 pure green wherever it shows, keeping its alpha
        RgbaImage layer2 = PngLayerWriter.read(edited.resolve("layer-2.png"));
        byte[] px = layer2.rgba();
        for (int i = 0; i < px.length; i += 4) {
            px[i] = 0;
            px[i + 1] = (byte) 255;
            px[i + 2] = 0;
        }
        RgbaImage green = new RgbaImage(layer2.width(), layer2.height(), px);
        PngLayerWriter.write(green, edited.resolve("layer-2.png"));
        Path out = dir.resolve("edited.png");
        assertEquals(0, CliRun.of("recompose", "--in", edited.toString(), "--out", out.toString()).code());
        RgbaImage before = PngLayerWriter.read(result.resolve("composite.png"));
        RgbaImage after = PngLayerWriter.read(out);
        RgbaImage l1 = PngLayerWriter.read(result.resolve("layer-1.png"));
        RgbaImage l3 = PngLayerWriter.read(result.resolve("layer-3.png"));
        assertEquals(Compositor.over(List.of(l1, green, l3)), after);
        int changed = 0;
        for (int y = 0; y < after.height(); y++) {
            for (int x = 0; x < after.width(); x++) {
                boolean shows = layer2.get(x, y, 3) > 0 && l3.get(x, y, 3) < 255;
                for (int c = 0; c < 4; c++) {
                    if (!shows) {
                        assertEquals(before.get(x, y, c), after.get(x, y, c), "untouched where layer 2 does not "
                                + "show: (" + x + "," + y + ")");
                    } else if (before.get(x, y, c) != after.get(x, y, c)) {
                        changed++;
                    }
                }
            }
        }
        assertTrue(changed > 0, "the edit shows where layer 2 shows");
    }

    @Test
    void onlyTheChosenLayersAndClearErrors() throws Exception {
        Path out = dir.resolve("only.png");
        CliRun r = CliRun.of("recompose", "--in", result.toString(), "--out", out.toString(), "--only", "3,1");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("2 of 3 layers"), r.out());
        assertEquals(Compositor.over(List.of(PngLayerWriter.read(result.resolve("layer-1.png")),
                PngLayerWriter.read(result.resolve("layer-3.png")))), PngLayerWriter.read(out));

        r = CliRun.of("recompose", "--in", result.toString(), "--out", out.toString(), "--only", "4");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("there is no layer 4: the result has 3 layers (1 = bottom)"), r.err());
        r = CliRun.of("recompose", "--in", result.toString(), "--out", out.toString(), "--only", "one");
        assertEquals(2, r.code());
        r = CliRun.of("recompose", "--in", result.toString(), "--out", dir.resolve("x.jpg").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--out must name a .png file"), r.err());
        r = CliRun.of("recompose", "--in", dir.resolve("nothing").toString(), "--out", out.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("nothing: not found"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }
}
