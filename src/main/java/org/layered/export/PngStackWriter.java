package org.layered.export;

import org.layered.layers.LayerTree;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code png} format: a folder with {@code layer-1.png .. layer-N.png} (8-bit straight-alpha RGBA, layer-1 =
 * bottom) and {@code composite.png}. The sub-layers of a layer decomposed again are named by their path in the
 * tree: {@code layer-2-1.png, layer-2-2.png} for the sub-layers of layer 2. Layer names are not stored in the files;
 * the caller's {@code manifest.json} records them and the order.
 */
public final class PngStackWriter implements LayerExporter {
    /** The composite's file name. */
    public static final String COMPOSITE = "composite.png";

    @Override
    public String format() {
        return "png";
    }

    @Override
    public String extension() {
        return "png";
    }

    /** The PNG files go straight into the output folder. */
    @Override
    public Path target(Path outDir) {
        return outDir;
    }

    @Override
    public List<String> fileNames(int layerCount) {
        List<String> out = new ArrayList<>(layerNames(layerCount));
        out.add(COMPOSITE);
        return out;
    }

    @Override
    public List<String> fileNames(LayerDocument document) {
        List<String> out = new ArrayList<>(layerFiles(document.tree()));
        out.add(COMPOSITE);
        return out;
    }

    /** {@code layer-1.png .. layer-N.png}, bottom to top. */
    public static List<String> layerNames(int layerCount) {
        List<String> out = new ArrayList<>(layerCount);
        for (int i = 1; i <= layerCount; i++) {
            out.add(fileName(String.valueOf(i)));
        }
        return out;
    }

    /** The file of each leaf of {@code tree}, bottom to top. */
    public static List<String> layerFiles(LayerTree tree) {
        return tree.leaves().stream().map(p -> fileName(p.path())).toList();
    }

    /** {@code layer-2.png} for path 2, {@code layer-2-1.png} for path 2.1. */
    public static String fileName(String path) {
        return "layer-" + path.replace('.', '-') + ".png";
    }

    /** @param folder created if needed; existing files of the same names are replaced */
    @Override
    public void write(LayerDocument document, Path folder) throws IOException {
        Files.createDirectories(folder);
        for (LayerTree.PathLeaf p : document.leaves()) {
            PngLayerWriter.write(p.leaf().image(), folder.resolve(fileName(p.path())));
        }
        PngLayerWriter.write(document.composite(), folder.resolve(COMPOSITE));
    }
}
