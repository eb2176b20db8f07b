package org.layered.layers;

import org.layered.image.RgbaImage;

import java.util.List;

/**
 * The result of a decomposition: N straight-alpha RGBA layers ordered bottom to top (index 0 = background-most),
 * their composite, and how far that composite is from the image that was decomposed.
 */
public record LayerStack(List<RgbaImage> layers, RgbaImage composite, Compositor.Error compositeError) {
    public LayerStack {
        layers = List.copyOf(layers);
    }

    /** Composites {@code layers} and measures them against {@code input} (the image at the working size). */
    public static LayerStack of(List<RgbaImage> layers, RgbaImage input) {
        RgbaImage composite = Compositor.over(layers);
        return new LayerStack(layers, composite, Compositor.error(composite, input));
    }

    public int size() {
        return layers.size();
    }
}
