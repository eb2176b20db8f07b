package org.layered.export;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
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

    public static void write(JsonObject manifest, Path file) throws IOException {
        Files.writeString(file, new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create()
                .toJson(manifest) + "\n", StandardCharsets.UTF_8);
    }
}
