package org.layered.export;

import org.layered.layers.LayerStack;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes a {@link LayerDocument} (straight-alpha RGBA layers bottom to top, possibly nested, with their composite
 * and pixel size) as one layered document, or, for {@code png}, as a folder of per-layer files. Implementations
 * write to a temporary sibling first and move it into place, so a failed export never leaves a half-written file
 * under the final name.
 *
 * <p>Obtain instances through {@link LayerExporters#forName(String)}.
 */
public interface LayerExporter {
    /** The format key accepted by {@link LayerExporters#forName(String)}: {@code png}, {@code ora}, {@code psd}, {@code tiff}. */
    String format();

    /** The file name extension without a dot ({@code ora}, {@code psd}, {@code tif}; {@code png} for the PNG folder). */
    String extension();

    /**
     * Writes {@code document}.
     *
     * @param file the document to write (replaced if it exists); for {@code png} the folder that receives
     *             {@code layer-1.png .. layer-N.png} and {@code composite.png}
     * @throws IllegalArgumentException when the format cannot hold the image
     * @throws IOException              when writing fails
     */
    void write(LayerDocument document, Path file) throws IOException;

    /**
     * Writes {@code stack} as a flat document without pixel size.
     *
     * @param layerNames one display name per layer, bottom to top, or {@code null} for "Layer 1" .. "Layer N"; blank
     *                   entries get their default name, control characters are dropped
     * @throws IllegalArgumentException when the names do not match the layers or the format cannot hold the image
     */
    default void write(LayerStack stack, List<String> layerNames, Path file) throws IOException {
        write(LayerDocument.of(stack, layerNames), file);
    }

    /** The names used when {@code write} gets none: "Layer 1" (bottom) .. "Layer N" (top). */
    static List<String> defaultLayerNames(int layerCount) {
        return LayerNames.defaults(layerCount);
    }

    /** Where this exporter puts its output inside {@code outDir}: {@code outDir/layers.<extension>} by default. */
    default Path target(Path outDir) {
        return outDir.resolve("layers." + extension());
    }

    /**
     * An upper bound of the bytes written for {@code layers} layers of {@code w x h} (checked against the free
     * space before computing): every format here stores at most the layers and one composite, each at most
     * uncompressed 8-bit RGBA, plus small headers.
     */
    default long estimatedBytes(int layers, int w, int h) {
        long raw = (layers + 1L) * w * h * 4;
        return raw + raw / 64 + 65536;
    }

    /** The names, relative to {@code outDir}, of the files that {@code write(stack, names, target(outDir))} creates. */
    default List<String> fileNames(int layerCount) {
        return List.of("layers." + extension());
    }

    /** The names, relative to {@code outDir}, of the files that {@code write(document, target(outDir))} creates. */
    default List<String> fileNames(LayerDocument document) {
        return fileNames(document.layerCount());
    }
}
