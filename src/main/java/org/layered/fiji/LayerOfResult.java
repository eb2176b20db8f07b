package org.layered.fiji;

import ij.ImagePlus;
import org.layered.export.LayerDocument;
import org.layered.export.TiffStackWriter;
import org.layered.layers.LayerTree;

/**
 * One layer of a layer hyperstack (a Decompose result, possibly edited or decomposed again) as the input of a
 * recursive decomposition: the layer with its transparency, named {@code <title>-layer-k} so that its result is
 * {@code <title>-layer-k-layers}, and the hyperstack's layers, which a saved result nests the sub-layers in.
 *
 * @param input   the layer as the plane to decompose
 * @param nesting the hyperstack's layers and the layer's path in them
 */
public record LayerOfResult(ImageConversion.InputPlane input, DecomposeJob.Nesting nesting) {
    /** The key of the layer option (a Z position, 1 = bottom). */
    public static final String LAYER = "layer";

    /**
     * Layer {@code z} (1 = bottom; 0 = the current Z position) of the layer hyperstack {@code imp}.
     *
     * @throws DecomposeException when {@code imp} is not a layer hyperstack or has no such layer
     */
    public static LayerOfResult of(ImagePlus imp, int z) throws DecomposeException {
        if (imp == null) {
            throw new DecomposeException("no image: open a layer hyperstack first (the result of Decompose...)");
        }
        LayerDocument doc;
        try {
            doc = TiffStackWriter.document(imp);
        } catch (IllegalArgumentException e) {
            throw new DecomposeException(e.getMessage() + "; Decompose Layer... takes the result of Decompose...", e);
        }
        int k = z == 0 ? imp.getZ() : z;
        int n = doc.layerCount();
        if (k < 1 || k > n) {
            throw new DecomposeException("layer must be between 1 and " + n + " (1 = bottom), got " + k);
        }
        LayerTree.PathLeaf leaf = doc.leaves().get(k - 1);
        String base = baseName(imp.getTitle());
        String name = base + "-layer-" + leaf.path().replace('.', '-');
        String source = "layer " + k + " (" + leaf.leaf().name() + ") of " + imp.getTitle() + ", "
                + leaf.leaf().image().width() + "x" + leaf.leaf().image().height() + " RGBA";
        ImageConversion.InputPlane plane = new ImageConversion.InputPlane(leaf.leaf().image(), name, source, "",
                imp.getCalibration().copy());
        return new LayerOfResult(plane, new DecomposeJob.Nesting(doc, leaf.path()));
    }

    /** A result's title without its {@code -layers} suffix and file extension: what its layers are named after. */
    public static String baseName(String title) {
        String t = title == null ? "image" : title;
        int dot = t.lastIndexOf('.');
        if (dot > 0 && t.length() - dot <= 5) {
            t = t.substring(0, dot);
        }
        return t.endsWith("-layers") ? t.substring(0, t.length() - "-layers".length()) : t;
    }
}
