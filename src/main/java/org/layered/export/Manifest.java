package org.layered.export;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import org.layered.image.PixelSize;
import org.layered.layers.AutoLayerCount;
import org.layered.layers.LayerTree;
import org.layered.pipeline.DecomposeSettings;
import org.layered.pipeline.Decomposition;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * {@code manifest.json} of a decomposition: settings (with the seed used), prompt or caption, bucket size, timings,
 * the composite error and the layer files bottom to top — everything needed to reproduce or audit the run.
 */
public final class Manifest {
    private Manifest() {}

    public static JsonObject of(Decomposition d, Path model, String device, String precision, List<String> files) {
        JsonObject m = new JsonObject();
        m.addProperty("generator", "Layered (Qwen-Image-Layered)");
        m.addProperty("model", model.toAbsolutePath().normalize().toString());
        DecomposeSettings s = d.settings();
        JsonObject settings = new JsonObject();
        settings.addProperty("layers", s.layers());
        settings.addProperty("resolution", s.resolution());
        settings.addProperty("steps", s.steps());
        settings.addProperty("cfg_scale", s.cfgScale());
        settings.addProperty("cfg_normalize", s.cfgNormalize());
        settings.addProperty("seed", s.seed());
        settings.addProperty("negative_prompt", s.negativePrompt());
        settings.addProperty("device", device);
        settings.addProperty("precision", precision);
        m.add("settings", settings);
        m.addProperty("prompt", d.prompt());
        m.addProperty("prompt_is_caption", d.captioned());
        m.addProperty("cfg_active", d.cfgActive());
        JsonObject bucket = new JsonObject();
        bucket.addProperty("width", d.bucket().width());
        bucket.addProperty("height", d.bucket().height());
        bucket.addProperty("tokens_per_frame", d.bucket().tokensPerFrame());
        m.add("bucket", bucket);
        JsonObject timings = new JsonObject();
        for (Map.Entry<String, Double> e : d.seconds().entrySet()) {
            timings.addProperty(e.getKey(), Math.round(e.getValue() * 1000) / 1000.0);
        }
        m.add("seconds", timings);
        JsonObject err = new JsonObject();
        err.addProperty("mean_abs_0_255", d.stack().compositeError().meanAbs());
        err.addProperty("max_abs_0_255", d.stack().compositeError().maxAbs());
        double psnr = d.stack().compositeError().psnr();
        err.addProperty("psnr_db", Double.isInfinite(psnr) ? 999.0 : psnr);
        err.addProperty("note", "composite of the layers (alpha over, bottom to top) vs the input at the bucket "
                + "size; premultiplied colour and alpha");
        m.add("composite_error", err);
        JsonArray order = new JsonArray();
        files.forEach(order::add);
        m.add("layers_bottom_to_top", order);
        return m;
    }

    /**
     * Records what the device request resolved to and why ({@code auto → cpu (libtorch 2.7.1 cpu is a CPU build)})
     * next to {@code settings.device}, the device used.
     */
    public static void deviceChoice(JsonObject manifest, String choice) {
        manifest.getAsJsonObject("settings").addProperty("device_choice", choice);
    }

    /**
     * Records the nested layers as {@code layer_tree}: bottom to top, each node with its {@code name} and
     * {@code path}, a leaf with its PNG {@code file} when PNGs are written, a group with its {@code layers}.
     */
    public static void layerTree(JsonObject manifest, LayerTree tree, boolean pngFiles) {
        manifest.add("layer_tree", level(tree.nodes(), "", pngFiles));
    }

    private static JsonArray level(List<LayerTree.Node> nodes, String prefix, boolean pngFiles) {
        JsonArray out = new JsonArray();
        for (int i = 0; i < nodes.size(); i++) {
            String path = prefix + (i + 1);
            JsonObject o = new JsonObject();
            o.addProperty("name", nodes.get(i).name());
            o.addProperty("path", path);
            if (nodes.get(i) instanceof LayerTree.Group g) {
                o.add("layers", level(g.children(), path + ".", pngFiles));
            } else if (pngFiles) {
                o.addProperty("file", PngStackWriter.fileName(path));
            }
            out.add(o);
        }
        return out;
    }

    /**
     * Records the size of one pixel of the saved layers ({@code pixel_size}: width, height, unit, and for a length
     * unit the resolution in pixels per inch; whether the PSD could hold it), or nothing when it is unknown.
     */
    public static void pixelSize(JsonObject manifest, PixelSize p) {
        if (p == null) {
            return;
        }
        JsonObject o = new JsonObject();
        o.addProperty("width", p.width());
        o.addProperty("height", p.height());
        o.addProperty("unit", p.unit());
        if (p.isPhysical()) {
            o.addProperty("x_pixels_per_inch", p.xPixelsPerInch());
            o.addProperty("y_pixels_per_inch", p.yPixelsPerInch());
            if (!PsdWriter.resolution(p).stored()) {
                o.addProperty("psd", "not stored: PSD holds at most " + (int) PsdWriter.MAX_PPI
                        + " pixels per inch; the PSD says 72");
            }
        } else {
            o.addProperty("note", "not a length unit: in layers.tif only (ImageJ calibration)");
        }
        manifest.add("pixel_size", o);
    }

    /** The pixel size a manifest records, or null. */
    public static PixelSize pixelSize(JsonObject manifest) {
        if (!manifest.has("pixel_size") || !manifest.get("pixel_size").isJsonObject()) {
            return null;
        }
        JsonObject o = manifest.getAsJsonObject("pixel_size");
        try {
            return new PixelSize(o.get("width").getAsDouble(), o.get("height").getAsDouble(),
                    o.get("unit").getAsString());
        } catch (RuntimeException e) {
            return null;
        }
    }

    /**
     * Records an automatic layer count: {@code settings.layers} becomes {@code "auto"} with {@code max_layers}, and
     * {@code auto_layers} holds the rules' thresholds and one decision per layer decomposed (layer, coverage,
     * contribution, visible area, action, the layer of the result it became, the reason).
     */
    public static void autoLayers(JsonObject manifest, int maxLayers, AutoLayerCount.Result result) {
        JsonObject settings = manifest.getAsJsonObject("settings");
        settings.addProperty("layers", "auto");
        settings.addProperty("max_layers", maxLayers);
        JsonObject auto = new JsonObject();
        auto.addProperty("decomposed_into", result.decisions().size());
        auto.addProperty("kept", result.layers().size());
        JsonObject rules = new JsonObject();
        rules.addProperty("drop_below_contribution_levels", AutoLayerCount.MIN_CONTRIBUTION);
        rules.addProperty("drop_below_visible_area", AutoLayerCount.MIN_VISIBLE_AREA);
        rules.addProperty("visible_change_levels", AutoLayerCount.VISIBLE_LEVELS);
        rules.addProperty("merge_min_coverage_iou", AutoLayerCount.MERGE_MIN_IOU);
        rules.addProperty("merge_max_colour_distance_levels", AutoLayerCount.MERGE_MAX_COLOUR);
        rules.addProperty("covered_alpha", AutoLayerCount.COVERED);
        auto.add("rules", rules);
        JsonArray decisions = new JsonArray();
        for (AutoLayerCount.Decision d : result.decisions()) {
            JsonObject o = new JsonObject();
            o.addProperty("layer", d.layer());
            o.addProperty("coverage", round(d.coverage()));
            o.addProperty("contribution_levels", round(d.contribution()));
            o.addProperty("visible_area", round(d.visibleArea()));
            o.addProperty("action", d.action().name().toLowerCase(java.util.Locale.ROOT));
            o.addProperty("into", d.into());
            o.addProperty("reason", d.reason());
            decisions.add(o);
        }
        auto.add("decisions", decisions);
        manifest.add("auto_layers", auto);
    }

    private static double round(double v) {
        return Math.round(v * 1e5) / 1e5;
    }

    /**
     * Records that this result decomposed layer {@code path} of the result in {@code parent} again (recursive
     * decomposition): its layers are the parent's with that layer a group of the new sub-layers.
     */
    public static void layerOf(JsonObject manifest, Path parent, String path, String layerName) {
        JsonObject o = new JsonObject();
        o.addProperty("result", parent.toAbsolutePath().normalize().toString());
        o.addProperty("layer", path);
        o.addProperty("name", layerName);
        manifest.add("layer_of", o);
    }

    public static void write(JsonObject manifest, Path file) throws IOException {
        Files.writeString(file, new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create()
                .toJson(manifest) + "\n", StandardCharsets.UTF_8);
    }
}
