package org.layered.export;

import org.layered.image.LanczosResize;
import org.layered.image.PixelSize;
import org.layered.image.RgbaImage;
import org.layered.layers.LayerStack;
import org.layered.layers.LayerTree;

import java.util.ArrayList;
import java.util.List;

/**
 * What an exporter writes: the layers (possibly nested, see {@link LayerTree}) with their names, the composite, and
 * the physical pixel size when the input had one. Names are cleaned of characters no format can store; a blank
 * name becomes "Layer k".
 *
 * @param tree      the layers, bottom to top
 * @param composite their composite (the "over" of the leaves when built by {@link #of})
 * @param pixelSize the size of one pixel of these layers, or null when unknown
 */
public record LayerDocument(LayerTree tree, RgbaImage composite, PixelSize pixelSize) {
    public LayerDocument {
        tree = LayerNames.clean(tree);
        List<RgbaImage> images = tree.images();
        int w = images.get(0).width();
        int h = images.get(0).height();
        for (RgbaImage l : images) {
            if (l.width() != w || l.height() != h) {
                throw new IllegalArgumentException("layer sizes differ: " + l.width() + "x" + l.height() + " vs "
                        + w + "x" + h);
            }
        }
        if (composite == null) {
            composite = tree.composite();
        } else if (composite.width() != w || composite.height() != h) {
            throw new IllegalArgumentException("composite is " + composite.width() + "x" + composite.height()
                    + " but the layers are " + w + "x" + h);
        }
    }

    /** A flat document of {@code stack} with {@code names} (null: "Layer 1" .. "Layer N") and no pixel size. */
    public static LayerDocument of(LayerStack stack, List<String> names) {
        if (stack == null || stack.size() == 0) {
            throw new IllegalArgumentException("nothing to export: the layer stack is empty");
        }
        return new LayerDocument(LayerTree.flat(stack.layers(), LayerNames.resolve(names, stack.size())),
                stack.composite(), null);
    }

    /** A document of {@code tree}, composited here. */
    public static LayerDocument of(LayerTree tree, PixelSize pixelSize) {
        return new LayerDocument(tree, null, pixelSize);
    }

    /**
     * {@code parent} with its layer {@code path} decomposed into {@code subLayers} (bottom to top): a group of them
     * named after the layer ({@link LayerTree#expandInto}); sub-layers of another size (the working size of the
     * run) are resampled to the parent's (premultiplied Lanczos).
     */
    public static LayerDocument nested(LayerDocument parent, String path, List<RgbaImage> subLayers) {
        List<RgbaImage> sized = new ArrayList<>(subLayers.size());
        for (RgbaImage l : subLayers) {
            sized.add(l.width() == parent.width() && l.height() == parent.height() ? l
                    : LanczosResize.resize(l, parent.width(), parent.height()));
        }
        return of(parent.tree().expandInto(path, sized), parent.pixelSize());
    }

    public LayerDocument withPixelSize(PixelSize p) {
        return new LayerDocument(tree, composite, p);
    }

    public int width() {
        return composite.width();
    }

    public int height() {
        return composite.height();
    }

    /** How many layers (leaves) there are. */
    public int layerCount() {
        return tree.leaves().size();
    }

    /** The leaves bottom to top, with their paths. */
    public List<LayerTree.PathLeaf> leaves() {
        return tree.leaves();
    }

    /** The leaf names bottom to top. */
    public List<String> leafNames() {
        List<String> out = new ArrayList<>();
        for (LayerTree.PathLeaf p : tree.leaves()) {
            out.add(p.leaf().name());
        }
        return out;
    }
}
