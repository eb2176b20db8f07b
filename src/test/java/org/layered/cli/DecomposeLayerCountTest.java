package org.layered.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layered.export.LayerDocument;
import org.layered.export.LayerFiles;
import org.layered.export.PngLayerWriter;
import org.layered.image.RgbaImage;
import org.layered.layers.Compositor;
import org.layered.layers.LayerTree;
import org.layered.testing.TinyModel;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code decompose --layers auto} and {@code --layer-of DIR:K} on the tiny model: one automatic run, whose layer 1
 * is then decomposed again; the nested result is read back from its manifest, ORA and TIFF.
 */
class DecomposeLayerCountTest {
    @TempDir
    static Path dir;
    static Path image;
    static Path autoOut;
    static CliRun autoRun;

    @BeforeAll
    static void decomposeAuto() throws Exception {
        image = dir.resolve("in.png");
        PngLayerWriter.write(TinyModel.image(72, 60), image);
        autoOut = dir.resolve("auto");
        autoRun = CliRun.of(CliFixtures.decompose(image, autoOut, "--layers", "auto", "--max-layers", "4",
                "--seed", "8"));
    }

    static JsonObject manifest(Path out) throws Exception {
        return JsonParser.parseString(Files.readString(out.resolve("manifest.json"))).getAsJsonObject();
    }

    @Test
    void autoDecomposesAtTheMaximumAndRecordsEveryDecision() throws Exception {
        assertEquals(0, autoRun.code(), autoRun.err());
        JsonObject m = manifest(autoOut);
        assertEquals("auto", m.getAsJsonObject("settings").get("layers").getAsString());
        assertEquals(4, m.getAsJsonObject("settings").get("max_layers").getAsInt());
        JsonObject auto = m.getAsJsonObject("auto_layers");
        assertEquals(4, auto.get("decomposed_into").getAsInt());
        int kept = auto.get("kept").getAsInt();
        JsonArray decisions = auto.getAsJsonArray("decisions");
        assertEquals(4, decisions.size());
        long intoResult = 0;
        for (int i = 0; i < 4; i++) {
            JsonObject d = decisions.get(i).getAsJsonObject();
            assertEquals(i + 1, d.get("layer").getAsInt());
            assertTrue(List.of("kept", "dropped", "merged").contains(d.get("action").getAsString()), d.toString());
            assertFalse(d.get("reason").getAsString().isBlank());
            intoResult += d.get("into").getAsInt() > 0 ? 1 : 0;
            assertTrue(autoRun.err().contains("[layered]   layer " + (i + 1) + ": "), autoRun.err());
        }
        assertTrue(kept >= 1 && kept <= 4 && intoResult >= kept, auto.toString());
        assertEquals(kept, m.getAsJsonArray("layers_bottom_to_top").size());
        assertTrue(Files.isRegularFile(autoOut.resolve("layer-" + kept + ".png")));
        assertFalse(Files.exists(autoOut.resolve("layer-" + (kept + 1) + ".png")));
        assertTrue(autoRun.out().contains("automatic count: " + kept + " of 4 layers kept"), autoRun.out());
        assertTrue(auto.getAsJsonObject("rules").has("merge_min_coverage_iou"));

        CliRun bad = CliRun.of(CliFixtures.decompose(image, dir.resolve("x"), "--max-layers", "4"));
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--max-layers goes with --layers auto"), bad.err());
        bad = CliRun.of(CliFixtures.decompose(image, dir.resolve("x"), "--layers", "many"));
        assertEquals(2, bad.code());
    }

    @Test
    void aLayerDecomposedAgainNestsInEveryFormat() throws Exception {
        assertEquals(0, autoRun.code(), autoRun.err());
        Path nested = dir.resolve("nested");
        List<String> args = new java.util.ArrayList<>(List.of(CliFixtures.decompose(image, nested, "--layers", "2",
                "--format", "png,ora,psd,tiff")));
        int i = args.indexOf("--image");
        args.set(i, "--layer-of");
        args.set(i + 1, autoOut + ":1");
        CliRun r = CliRun.of(args.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("wrote 2 sub-layers of layer 1"), r.out());
        LayerDocument parent = LayerFiles.read(autoOut);
        JsonObject m = manifest(nested);
        assertEquals("1", m.getAsJsonObject("layer_of").get("layer").getAsString());
        JsonObject group = m.getAsJsonArray("layer_tree").get(0).getAsJsonObject();
        assertEquals("Layer 1", group.get("name").getAsString());
        assertEquals("layer-1-2.png", group.getAsJsonArray("layers").get(1).getAsJsonObject().get("file")
                .getAsString());
        for (Path in : List.of(nested, nested.resolve("layers.ora"), nested.resolve("layers.tif"))) {
            LayerDocument back = LayerFiles.read(in);
            LayerTree.Node g = back.tree().node("1");
            assertTrue(g instanceof LayerTree.Group, in.toString());
            assertEquals(List.of("Layer 1.1", "Layer 1.2"), ((LayerTree.Group) g).children().stream()
                    .map(LayerTree.Node::name).toList(), in.toString());
            assertEquals(parent.layerCount() + 1, back.layerCount(), in.toString());
            // the layers above the one decomposed again are the parent's, unchanged
            for (int k = 2; k <= parent.layerCount(); k++) {
                assertEquals(((LayerTree.Leaf) parent.tree().node(String.valueOf(k))).image(),
                        ((LayerTree.Leaf) back.tree().node(String.valueOf(k))).image(), in + " layer " + k);
            }
        }
        assertTrue(Files.size(nested.resolve("layers.psd")) > 0);
        RgbaImage composite = PngLayerWriter.read(nested.resolve("composite.png"));
        assertEquals(Compositor.over(LayerFiles.read(nested).tree().images()), composite);

        // a group cannot be decomposed again as a whole; a path that leads nowhere is a usage error
        args.set(i + 1, nested + ":1");
        args.set(args.indexOf("--out") + 1, dir.resolve("n2").toString());
        CliRun again = CliRun.of(args.toArray(String[]::new));
        assertEquals(2, again.code());
        assertTrue(again.err().contains("was decomposed already; give one of its sub-layers (1.1, ...)"),
                again.err());
        args.set(i + 1, nested + ":9");
        args.set(args.indexOf("--out") + 1, dir.resolve("n3").toString());
        CliRun none = CliRun.of(args.toArray(String[]::new));
        assertEquals(2, none.code());
        assertTrue(none.err().contains("there is no layer 9"), none.err());
        args.set(i + 1, "nocolon");
        assertEquals(2, CliRun.of(args.toArray(String[]::new)).code());
    }
}
