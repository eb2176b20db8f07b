package org.layered.export;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The layer export formats by name: {@code png}, {@code ora}, {@code psd}, {@code tiff}. */
public final class LayerExporters {
    /** Format keys in the order they are listed to users. */
    public static final List<String> FORMATS = List.of("png", "ora", "psd", "tiff");

    private LayerExporters() {}

    /**
     * The exporter for {@code name} (case-insensitive; {@code openraster} and {@code tif} are accepted as aliases).
     *
     * @throws IllegalArgumentException naming the available formats, for an unknown name
     * @throws IllegalStateException    for {@code tiff} when ImageJ 1.x is not on the class path
     */
    public static LayerExporter forName(String name) {
        String key = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        return switch (key) {
            case "png" -> new PngStackWriter();
            case "ora", "openraster" -> new OraWriter();
            case "psd" -> new PsdWriter();
            case "tiff", "tif" -> tiff();
            default -> throw new IllegalArgumentException("unknown layer export format '" + (name == null ? "" : name.trim())
                    + "'; available formats: " + String.join(", ", FORMATS));
        };
    }

    /**
     * The exporters of a comma-separated list such as {@code "png,psd"}, in order, each format once.
     *
     * @throws IllegalArgumentException for an empty list or an unknown name
     */
    public static List<LayerExporter> forList(String commaSeparated) {
        Map<String, LayerExporter> out = new LinkedHashMap<>();
        for (String part : (commaSeparated == null ? "" : commaSeparated).split(",")) {
            if (part.isBlank()) {
                continue;
            }
            LayerExporter e = forName(part);
            out.putIfAbsent(e.format(), e);
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no layer export format given; available formats: "
                    + String.join(", ", FORMATS));
        }
        return new ArrayList<>(out.values());
    }

    private static LayerExporter tiff() {
        try {
            Class.forName("ij.ImagePlus", false, LayerExporters.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            throw new IllegalStateException("TIFF export needs ImageJ 1.x (net.imagej:ij) on the class path; "
                    + "use png, ora or psd");
        }
        return new TiffStackWriter();
    }
}
