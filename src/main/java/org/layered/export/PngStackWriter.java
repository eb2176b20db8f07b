package org.layered.export;

import org.layered.layers.LayerStack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code png} format: a folder with {@code layer-1.png .. layer-N.png} (8-bit straight-alpha RGBA, layer-1 =
 * bottom) and {@code composite.png}. Layer names are not stored in the files; the caller's {@code manifest.json}
 * records the order.
 */
public final class PngStackWriter implements LayerExporter {
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
        out.add("composite.png");
        return out;
    }

    /** {@code layer-1.png .. layer-N.png}, bottom to top. */
    public static List<String> layerNames(int layerCount) {
        List<String> out = new ArrayList<>(layerCount);
        for (int i = 1; i <= layerCount; i++) {
            out.add("layer-" + i + ".png");
        }
        return out;
    }

    /** @param folder created if needed; existing files of the same names are replaced */
    @Override
    public void write(LayerStack stack, List<String> layerNames, Path folder) throws IOException {
        ExportSupport.check(stack);
        LayerNames.resolve(layerNames, stack.size());
        Files.createDirectories(folder);
        List<String> files = layerNames(stack.size());
        for (int i = 0; i < stack.size(); i++) {
            PngLayerWriter.write(stack.layers().get(i), folder.resolve(files.get(i)));
        }
        PngLayerWriter.write(ExportSupport.composite(stack), folder.resolve("composite.png"));
    }
}
