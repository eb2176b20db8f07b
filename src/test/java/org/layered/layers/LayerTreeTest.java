package org.layered.layers;

import org.junit.jupiter.api.Test;
import org.layered.image.RgbaImage;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class LayerTreeTest {
    private static RgbaImage px(int v) {
        return new RgbaImage(1, 1, new byte[] {(byte) v, 0, 0, (byte) 255});
    }

    @Test
    void pathsNumberEachLevelBottomFirstAndExpandingALeafMakesAGroup() {
        LayerTree flat = LayerTree.flat(List.of(px(1), px(2), px(3)), null);
        LayerTree nested = flat.expand("2", List.of(new LayerTree.Leaf("a", px(4)), new LayerTree.Leaf("b", px(5))));
        assertEquals(List.of("1", "2.1", "2.2", "3"), nested.leaves().stream().map(LayerTree.PathLeaf::path).toList());
        assertEquals("Layer 2", nested.node("2").name());
        assertEquals("b", nested.node("2.2").name());
        assertTrue(nested.isNested());
        LayerTree deeper = nested.expand("2.1", List.of(new LayerTree.Leaf("x", px(6))));
        assertEquals(List.of("1", "2.1.1", "2.2", "3"), deeper.leaves().stream().map(LayerTree.PathLeaf::path)
                .toList());
        assertEquals(Compositor.over(List.of(px(1), px(6), px(5), px(3))), deeper.composite());

        // the same tree back from its leaf paths
        Map<String, String> groups = Map.of("2", "Layer 2", "2.1", "a");
        assertEquals(deeper, LayerTree.ofPaths(deeper.leaves().stream().map(LayerTree.PathLeaf::leaf).toList(),
                List.of("1", "2.1.1", "2.2", "3"), groups::get));
    }

    @Test
    void pathsThatLeadNowhereAreClearErrors() {
        LayerTree flat = LayerTree.flat(List.of(px(1), px(2)), null);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> flat.node("3")).getMessage()
                .contains("the result has 2 layers (1 = bottom)"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> flat.node("1.1")).getMessage()
                .contains("layer 1 has no sub-layers"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> flat.node("0")).getMessage()
                .contains("a layer is a number from 1"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> flat.node("x")).getMessage()
                .contains("got 'x'"));
        LayerTree nested = flat.expand("1", List.of(new LayerTree.Leaf("a", px(3))));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> nested.expand("1", List.of(
                new LayerTree.Leaf("b", px(4))))).getMessage().contains("already a group"));
        List<LayerTree.Leaf> two = List.of(new LayerTree.Leaf("a", px(1)), new LayerTree.Leaf("b", px(2)));
        assertThrows(IllegalArgumentException.class, () -> LayerTree.ofPaths(two, List.of("2", "1"), p -> null));
        assertThrows(IllegalArgumentException.class, () -> LayerTree.ofPaths(two, List.of("1", "1.1"), p -> null));
        assertThrows(IllegalArgumentException.class, () -> LayerTree.ofPaths(two, List.of("1.1", "1.3"), p -> null));
    }
}
