package org.layered.fiji.ij1;

import ij.gui.GenericDialog;
import org.layered.engine.DeviceMenu;
import org.layered.engine.TorchEngine;
import org.layered.export.LayerExporters;
import org.layered.fiji.DecomposeOptions;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The ImageJ 1.x dialog of Plugins > Layered > Decompose (only built when a person runs the command; macros never
 * see it). Each label's first word is the option's macro key, so the keys are also unique for the recorder.
 */
final class DecomposeDialog {
    static final String[] RESOLUTIONS = {"640", "1024"};

    private DecomposeDialog() {}

    /**
     * Shows the dialog for {@code base} and returns the options chosen, or null when cancelled.
     *
     * @param title   the dialog title
     * @param batch   whether to add the batch fields (folder, shard) and leave out the display fields
     * @param extra   for a batch: {folder, shard} defaults, filled with the values chosen
     */
    static DecomposeOptions show(String title, DecomposeOptions base, boolean batch, String[] extra) {
        GenericDialog gd = new GenericDialog(title);
        if (batch) {
            gd.addDirectoryField("Folder of images", extra[0], 30);
        }
        gd.addDirectoryField("Model folder", base.model(), 30);
        gd.addMessage("    blank = the default model (Qwen/Qwen-Image-Layered) from the model cache");
        gd.addNumericField("Layers", base.layers(), 0);
        gd.addChoice("Resolution", RESOLUTIONS, String.valueOf(base.resolution()));
        gd.addNumericField("Steps", base.steps(), 0);
        gd.addNumericField("CFG scale", base.cfg(), 1);
        gd.addCheckbox("CFG_normalize", base.cfgNormalize());
        gd.addStringField("Seed (blank = random)", base.seed(), 14);
        gd.addStringField("Prompt (blank = automatic caption)", base.prompt(), 40);
        gd.addStringField("Negative prompt (blank = \" \")", base.negative(), 40);
        DeviceMenu devices = devices();
        gd.addChoice("Device", devices.labels().toArray(String[]::new), devices.labelOf(devices.keyOf(base.device())));
        gd.addMessage("    " + devices.autoNote());
        gd.addFileField("Inputs: prompt embeddings .safetensors (optional)", base.inputs(), 30);
        if (!batch) {
            gd.addCheckbox("Hyperstack of the layers (C=RGBA, Z=layers)", base.hyperstack());
            gd.addCheckbox("Layer_images (each layer as RGB + the recomposed image)", base.layerImages());
        }
        gd.addCheckbox("Original_size (resample layers to the input size)", base.originalSize());
        gd.addDirectoryField(batch ? "Output folder" : "Output folder to save into (blank = do not save)",
                base.output(), 30);
        List<String> formats = LayerExporters.FORMATS;
        String[] labels = formats.stream().map(String::toUpperCase).toArray(String[]::new);
        boolean[] on = new boolean[formats.size()];
        Set<String> chosen = new LinkedHashSet<>(List.of(base.formats().split("\\s*,\\s*")));
        for (int i = 0; i < on.length; i++) {
            on[i] = chosen.contains(formats.get(i));
        }
        gd.addCheckboxGroup(1, formats.size(), labels, on, new String[] {"Formats"});
        if (batch) {
            gd.addStringField("Shard i/n (0-based; for cluster job arrays)", extra[1], 8);
        }
        gd.showDialog();
        if (gd.wasCanceled()) {
            return null;
        }
        if (batch) {
            extra[0] = gd.getNextString();
        }
        String model = gd.getNextString();
        int layers = (int) gd.getNextNumber();
        int resolution = Integer.parseInt(gd.getNextChoice());
        int steps = (int) gd.getNextNumber();
        double cfg = gd.getNextNumber();
        boolean normalize = gd.getNextBoolean();
        String seed = gd.getNextString();
        String prompt = gd.getNextString();
        String negative = gd.getNextString();
        String device = devices.keys().get(gd.getNextChoiceIndex());
        String inputs = gd.getNextString();
        boolean hyperstack = base.hyperstack();
        boolean layerImages = base.layerImages();
        if (!batch) {
            hyperstack = gd.getNextBoolean();
            layerImages = gd.getNextBoolean();
        }
        boolean originalSize = gd.getNextBoolean();
        String output = gd.getNextString();
        List<String> picked = new ArrayList<>();
        for (String f : formats) {
            if (gd.getNextBoolean()) {
                picked.add(f);
            }
        }
        if (batch) {
            extra[1] = gd.getNextString();
        }
        if (gd.invalidNumber()) {
            throw new IllegalArgumentException("a numeric field of the dialog holds no number");
        }
        return new DecomposeOptions(model, layers, resolution, steps, cfg, normalize, seed, prompt, negative, device,
                inputs, hyperstack, layerImages, originalSize, output, picked.isEmpty() ? "png"
                : String.join(",", picked));
    }

    /** auto, cpu and exactly the CUDA devices the engine sees (or, before it starts, the driver lists). */
    static DeviceMenu devices() {
        try {
            return TorchEngine.deviceMenu();
        } catch (RuntimeException | LinkageError e) {
            return new DeviceMenu(List.of(new DeviceMenu.Option("auto", "auto"), new DeviceMenu.Option("cpu", "cpu")),
                    "auto = cpu: the CUDA devices could not be listed (" + e.getMessage() + ")");
        }
    }
}
