package org.layered.layers;

import org.layered.image.RgbaImage;

import java.util.ArrayList;
import java.util.List;

/**
 * Layers that may be nested: a decomposition's layers bottom to top, where a layer decomposed again (recursive
 * decomposition) is a group of its sub-layers. Every node has a path: its 1-based position among its siblings,
 * bottom first, joined by dots from the top level ({@code "2"}, {@code "2.1"}). The leaves in depth-first order are
 * the layers as they stack: their "over" composite is the image the tree shows.
 *
 * @param nodes the top-level nodes, bottom to top
 */
public record LayerTree(List<Node> nodes) {
    public LayerTree {
        nodes = List.copyOf(nodes);
        if (nodes.isEmpty()) {
            throw new IllegalArgumentException("a layer tree needs at least one layer");
        }
    }

    /** A layer or a group of layers. */
    public sealed interface Node permits Leaf, Group {
        String name();
    }

    /** One RGBA layer. */
    public record Leaf(String name, RgbaImage image) implements Node {}

    /** Layers stacked as one: the sub-layers of a layer decomposed again, bottom to top. */
    public record Group(String name, List<Node> children) implements Node {
        public Group {
            children = List.copyOf(children);
            if (children.isEmpty()) {
                throw new IllegalArgumentException("group '" + name + "' has no layers");
            }
        }
    }

    /** A leaf with its path in the tree. */
    public record PathLeaf(String path, Leaf leaf) {}

    /** The flat tree of {@code layers} named {@code names} (null: "Layer 1" .. "Layer N"). */
    public static LayerTree flat(List<RgbaImage> layers, List<String> names) {
        if (names != null && names.size() != layers.size()) {
            throw new IllegalArgumentException("got " + names.size() + " layer names for " + layers.size()
                    + " layers");
        }
        List<Node> out = new ArrayList<>(layers.size());
        for (int i = 0; i < layers.size(); i++) {
            out.add(new Leaf(names == null ? "Layer " + (i + 1) : names.get(i), layers.get(i)));
        }
        return new LayerTree(out);
    }

    /**
     * The tree whose leaves, bottom to top, are {@code leaves} at {@code paths} (as {@link #leaves()} lists them),
     * with group names from {@code groupNames} (a blank or null name becomes "Layer k").
     *
     * @throws IllegalArgumentException when the paths do not describe a tree in that order
     */
    public static LayerTree ofPaths(List<Leaf> leaves, List<String> paths,
            java.util.function.Function<String, String> groupNames) {
        if (leaves.size() != paths.size()) {
            throw new IllegalArgumentException("got " + paths.size() + " layer paths for " + leaves.size()
                    + " layers");
        }
        List<String[]> split = new ArrayList<>();
        for (String p : paths) {
            split.add(parse(p));
        }
        int[] next = {0};
        List<Node> nodes = level(leaves, split, next, 0, "", groupNames);
        if (next[0] != leaves.size()) {
            throw new IllegalArgumentException("layer path " + paths.get(next[0]) + " is out of order");
        }
        return new LayerTree(nodes);
    }

    /** The nodes at {@code depth} below {@code prefix}, consuming leaves from {@code next[0]} on. */
    private static List<Node> level(List<Leaf> leaves, List<String[]> paths, int[] next, int depth, String prefix,
            java.util.function.Function<String, String> groupNames) {
        List<Node> out = new ArrayList<>();
        while (next[0] < paths.size() && startsWith(paths.get(next[0]), prefix, depth)) {
            String[] p = paths.get(next[0]);
            int k = Integer.parseInt(p[depth]);
            if (k != out.size() + 1) {
                throw new IllegalArgumentException("layer path " + String.join(".", p) + " is out of order");
            }
            String path = prefix + k;
            if (p.length == depth + 1) {
                out.add(leaves.get(next[0]++));
            } else {
                String name = groupNames.apply(path);
                out.add(new Group(name == null || name.isBlank() ? "Layer " + k : name,
                        level(leaves, paths, next, depth + 1, path + ".", groupNames)));
            }
        }
        return out;
    }

    private static boolean startsWith(String[] path, String prefix, int depth) {
        if (path.length <= depth) {
            return false;
        }
        return (String.join(".", path) + ".").startsWith(prefix);
    }

    /** Every leaf with its path, bottom to top. */
    public List<PathLeaf> leaves() {
        List<PathLeaf> out = new ArrayList<>();
        collect(nodes, "", out);
        return out;
    }

    private static void collect(List<Node> level, String prefix, List<PathLeaf> out) {
        for (int i = 0; i < level.size(); i++) {
            String path = prefix + (i + 1);
            Node n = level.get(i);
            if (n instanceof Group g) {
                collect(g.children(), path + ".", out);
            } else {
                out.add(new PathLeaf(path, (Leaf) n));
            }
        }
    }

    /** The leaf images, bottom to top. */
    public List<RgbaImage> images() {
        return leaves().stream().map(p -> p.leaf().image()).toList();
    }

    /** Whether some layer is a group. */
    public boolean isNested() {
        return nodes.stream().anyMatch(n -> n instanceof Group);
    }

    /** The composite of the leaves, bottom to top. */
    public RgbaImage composite() {
        return Compositor.over(images());
    }

    /**
     * The node at {@code path} ("2" or "2.1").
     *
     * @throws IllegalArgumentException naming the layers there are, for a path that leads nowhere
     */
    public Node node(String path) {
        List<Node> level = nodes;
        Node found = null;
        String[] parts = parse(path);
        for (int d = 0; d < parts.length; d++) {
            int k = Integer.parseInt(parts[d]);
            if (k < 1 || k > level.size()) {
                String where = d == 0 ? "the result" : "layer " + String.join(".", List.of(parts).subList(0, d));
                throw new IllegalArgumentException("there is no layer " + path + ": " + where + " has " + level.size()
                        + " layer" + (level.size() == 1 ? "" : "s") + " (1 = bottom)");
            }
            found = level.get(k - 1);
            if (d < parts.length - 1) {
                if (!(found instanceof Group g)) {
                    throw new IllegalArgumentException("there is no layer " + path + ": layer "
                            + String.join(".", List.of(parts).subList(0, d + 1)) + " has no sub-layers");
                }
                level = g.children();
            }
        }
        return found;
    }

    /**
     * This tree with the leaf at {@code path} replaced by a group of {@code children} (its sub-layers, bottom to
     * top), named as the leaf was.
     *
     * @throws IllegalArgumentException for a path that is not a leaf
     */
    public LayerTree expand(String path, List<Node> children) {
        if (!(node(path) instanceof Leaf leaf)) {
            throw new IllegalArgumentException("layer " + path + " is already a group of sub-layers; give one of "
                    + "them (" + path + ".1, ...)");
        }
        return new LayerTree(replace(nodes, parse(path), 0, new Group(leaf.name(), children)));
    }

    /**
     * This tree with the leaf at {@code path} decomposed into {@code subLayers} (bottom to top), named after it:
     * "Layer 2" becomes a group "Layer 2" of "Layer 2.1", "Layer 2.2", ...
     */
    public LayerTree expandInto(String path, List<RgbaImage> subLayers) {
        String name = node(path).name();
        List<Node> children = new ArrayList<>();
        for (int i = 0; i < subLayers.size(); i++) {
            children.add(new Leaf(name + "." + (i + 1), subLayers.get(i)));
        }
        return expand(path, children);
    }

    private static List<Node> replace(List<Node> level, String[] parts, int d, Node with) {
        List<Node> out = new ArrayList<>(level);
        int k = Integer.parseInt(parts[d]) - 1;
        if (d == parts.length - 1) {
            out.set(k, with);
        } else {
            Group g = (Group) level.get(k);
            out.set(k, new Group(g.name(), replace(g.children(), parts, d + 1, with)));
        }
        return out;
    }

    /** @throws IllegalArgumentException for anything but positive whole numbers joined by dots */
    public static String[] parse(String path) {
        String p = path == null ? "" : path.strip();
        if (!p.matches("[1-9]\\d{0,5}(\\.[1-9]\\d{0,5})*")) {
            throw new IllegalArgumentException("a layer is a number from 1 (the bottom layer), or a path such as "
                    + "2.1 for a sub-layer; got '" + p + "'");
        }
        return p.split("\\.");
    }
}
