package org.layered.fiji;

import ij.ImagePlus;
import org.layered.export.LayerDocument;
import org.layered.export.TiffStackWriter;
import org.layered.image.RgbaImage;
import org.layered.layers.Compositor;
import org.layered.layers.LayerStack;
import org.layered.layers.Recompose;

import java.util.List;
import java.util.Locale;

/**
 * Plugins > Layered > Recompose... without the ImageJ plumbing: the layers of a layer hyperstack (possibly edited)
 * composited bottom to top ({@link Recompose}, the composite check's "over"), all or a subset, as RGB (flattened
 * onto white, as ImageJ shows transparency) or RGBA (a 4-channel image with channel 4 the alpha, which ImageJ saves
 * as an RGBA PNG).
 *
 * @param layers the layers to composite ({@code 1,3}; blank = all)
 * @param type   {@link #RGB} or {@link #RGBA}
 */
public record Recomposition(String layers, String type) {
    public static final String LAYERS = "layers";
    public static final String TYPE = "type";
    public static final String RGB = "RGB";
    public static final String RGBA = "RGBA";
    public static final String[] TYPES = {RGB, RGBA};

    public Recomposition {
        layers = layers == null ? "" : layers.strip();
        String t = type == null || type.isBlank() ? RGB : type.strip().toUpperCase(Locale.ROOT);
        if (!t.equals(RGB) && !t.equals(RGBA)) {
            throw new IllegalArgumentException("type must be RGB or RGBA, got '" + type + "'");
        }
        type = t;
    }

    /** From macro options, {@code base} for what is absent. */
    public static Recomposition parse(MacroOptions o, Recomposition base) {
        return new Recomposition(o.string(LAYERS, base.layers()), o.string(TYPE, base.type()));
    }

    public String toMacroString() {
        return MacroOptions.item(LAYERS, layers) + " " + MacroOptions.item(TYPE, type);
    }

    /**
     * The composite of {@code imp}'s chosen layers, titled {@code <name>-recomposed}, with its calibration.
     *
     * @throws DecomposeException when {@code imp} is not a layer hyperstack or the subset names a layer it lacks
     */
    public ImagePlus apply(ImagePlus imp) throws DecomposeException {
        if (imp == null) {
            throw new DecomposeException("no image: open a layer hyperstack first (the result of Decompose...)");
        }
        LayerDocument doc;
        RgbaImage composite;
        int used;
        try {
            doc = TiffStackWriter.document(imp);
            List<String> only = Recompose.parseOnly(layers);
            used = Recompose.chosen(doc.tree(), only).size();
            composite = Recompose.composite(doc.tree(), only);
        } catch (IllegalArgumentException e) {
            throw new DecomposeException(e.getMessage(), e);
        }
        String title = LayerOfResult.baseName(imp.getTitle()) + "-recomposed";
        ImagePlus out = type.equals(RGB) ? ResultImages.rgb(Compositor.onWhite(composite), title)
                : TiffStackWriter.hyperstack(LayerDocument.of(new LayerStack(List.of(composite), composite, null),
                        null), title);
        out.setCalibration(imp.getCalibration().copy());
        out.setProperty("Info", "Layered: " + used + " of " + doc.layerCount() + " layers of " + imp.getTitle()
                + (layers.isEmpty() ? "" : " (" + layers + ")") + " composited bottom to top (alpha over)"
                + (type.equals(RGB) ? ", flattened onto white" : "; channel 4 is the alpha") + "\n");
        return out;
    }
}
