package org.layered.layers;

import org.layered.image.RgbaImage;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Composites layers back into one image, bottom to top with straight-alpha "over" ({@link Compositor}, the code that
 * checks every decomposition), optionally only some of them: a person edits one layer and recomposes without
 * touching the rest, or leaves layers out. Layers are chosen by their number (1 = bottom) or, in a result whose
 * layers were decomposed again, by their path ({@code 2.1}); a group stands for all its sub-layers.
 */
public final class Recompose {
    private Recompose() {}

    /**
     * The layers of a list such as {@code "1,3"} or {@code "2.1, 3"}, in the order given; blank = all (null).
     *
     * @throws IllegalArgumentException naming the entry that is not a layer number or path
     */
    public static List<String> parseOnly(String list) {
        if (list == null || list.isBlank()) {
            return null;
        }
        Set<String> out = new LinkedHashSet<>();
        for (String part : list.split(",")) {
            if (part.isBlank()) {
                continue;
            }
            out.add(String.join(".", LayerTree.parse(part)));
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no layer given in '" + list + "'");
        }
        return new ArrayList<>(out);
    }

    /**
     * The leaves of {@code tree} that {@code only} chooses (null: all), in stacking order whatever the order of
     * {@code only}.
     *
     * @throws IllegalArgumentException for a layer the tree does not have
     */
    public static List<RgbaImage> chosen(LayerTree tree, List<String> only) {
        if (only == null) {
            return tree.images();
        }
        for (String p : only) {
            tree.node(p); // names the layers there are when p is not one
        }
        List<RgbaImage> out = new ArrayList<>();
        for (LayerTree.PathLeaf leaf : tree.leaves()) {
            for (String p : only) {
                if (leaf.path().equals(p) || leaf.path().startsWith(p + ".")) {
                    out.add(leaf.leaf().image());
                    break;
                }
            }
        }
        return out;
    }

    /** The straight-alpha RGBA composite of the chosen layers. */
    public static RgbaImage composite(LayerTree tree, List<String> only) {
        return Compositor.over(chosen(tree, only));
    }
}
