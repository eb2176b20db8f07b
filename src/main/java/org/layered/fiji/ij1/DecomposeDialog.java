package org.layered.fiji.ij1;

import ij.gui.GenericDialog;
import org.layered.engine.DeviceMenu;
import org.layered.engine.TorchEngine;
import org.layered.export.LayerExporters;
import org.layered.fiji.DecomposeOptions;
import org.layered.fiji.HelpPage;
import org.layered.fiji.MemoryOptions;

import java.awt.Checkbox;
import java.awt.TextField;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.Vector;

/**
 * The ImageJ 1.x dialogs of Plugins > Layered > Decompose... and Decompose Folder... (only built when a person runs
 * the command; macros never see them). The first dialog holds what most runs change: model, layers (a number or
 * {@code auto}), resolution, steps, seed, prompt, device, what to show and where to save. Its "Advanced..." button
 * opens a second one for the expert settings: CFG scale and normalisation, negative prompt, prompt embeddings file,
 * the memory fields ({@link MemoryFields}: memory mode, VRAM cap, weights) and the compute precision.
 * Both keep every option a macro key, and both have a Help button with the README's Fiji section. Each label's
 * first word is the option's macro key, so the keys are also unique for the recorder.
 */
final class DecomposeDialog {
    static final String[] RESOLUTIONS = {"640", "1024"};
    static final String[] PRECISIONS = {"auto", "float32", "bf16"};
    /** The label of the button that opens the advanced settings. */
    static final String ADVANCED = "Advanced...";

    private DecomposeDialog() {}

    /** Which command the dialog is for. */
    enum Mode {
        /** Decompose...: the current image. */
        IMAGE,
        /** Decompose Folder...: extra = {folder, shard}; no display fields. */
        FOLDER,
        /** Decompose Layer...: extra = {layer}. */
        LAYER
    }

    /**
     * Shows the dialog(s) for {@code base} and returns the options chosen, or null when cancelled.
     *
     * @param title   the dialog title
     * @param mode    which command: a batch adds the folder and shard fields and leaves out the display fields, a
     *                layer command adds the layer field
     * @param extra   the extra fields' defaults (see {@link Mode}), filled with the values chosen
     */
    static DecomposeOptions show(String title, DecomposeOptions base, Mode mode, String[] extra) {
        boolean batch = mode == Mode.FOLDER;
        GenericDialog gd = new GenericDialog(title);
        if (batch) {
            gd.addDirectoryField("Folder of images", extra[0], 30);
        } else if (mode == Mode.LAYER) {
            gd.addStringField("Layer (1 = bottom; blank = the current Z)", extra[0], 6);
        }
        gd.addDirectoryField("Model folder", base.model(), 30);
        gd.addMessage("    blank = the default model (Qwen/Qwen-Image-Layered), downloaded with Download Model...");
        gd.addStringField("Layers (a number, or auto)", base.layerCount(), 6);
        gd.addNumericField("Max_layers (for auto)", base.maxLayers(), 0);
        gd.addChoice("Resolution", RESOLUTIONS, String.valueOf(base.resolution()));
        gd.addNumericField("Steps", base.steps(), 0);
        gd.addStringField("Seed (blank = random)", base.seed(), 14);
        gd.addStringField("Prompt (blank = automatic caption)", base.prompt(), 40);
        DeviceMenu devices = devices();
        gd.addChoice("Device", devices.labels().toArray(String[]::new), devices.labelOf(devices.keyOf(base.device())));
        gd.addMessage("    " + devices.autoNote());
        if (!batch) {
            gd.addCheckbox("Hyperstack of the layers (C=RGBA, Z=layers)", base.hyperstack());
            gd.addCheckbox("Layer_images (each layer as RGB + the recomposed image)", base.layerImages());
            gd.addCheckbox("ROIs (each layer's region in the ROI Manager and the image's overlay)", base.rois());
        }
        gd.addCheckbox("Original_size (resample layers to the input size)", base.originalSize());
        gd.addDirectoryField(batch ? "Output folder" : "Output folder (blank = show only, save nothing)",
                base.output(), 30);
        List<String> formats = LayerExporters.FORMATS;
        String[] labels = formats.stream().map(String::toUpperCase).toArray(String[]::new);
        boolean[] on = new boolean[formats.size()];
        Set<String> chosen = new LinkedHashSet<>(List.of(base.formats().split("\\s*,\\s*")));
        for (int i = 0; i < on.length; i++) {
            on[i] = chosen.contains(formats.get(i));
        }
        gd.addCheckboxGroup(1, formats.size(), labels, on, new String[] {"Save as"});
        if (batch) {
            gd.addStringField("Shard i/n (0-based; for cluster job arrays)", extra[1], 8);
        } else {
            formatsFollowOutput(gd, formats.size());
        }
        gd.enableYesNoCancel("OK", ADVANCED);
        gd.addHelp(HelpPage.html());
        gd.showDialog();
        if (gd.wasCanceled()) {
            return null;
        }
        boolean advanced = !gd.wasOKed();
        if (batch || mode == Mode.LAYER) {
            extra[0] = gd.getNextString();
        }
        String model = gd.getNextString();
        String layerCount = gd.getNextString();
        int maxLayers = (int) gd.getNextNumber();
        int resolution = Integer.parseInt(gd.getNextChoice());
        int steps = (int) gd.getNextNumber();
        String seed = gd.getNextString();
        String prompt = gd.getNextString();
        String device = devices.keys().get(gd.getNextChoiceIndex());
        boolean hyperstack = base.hyperstack();
        boolean layerImages = base.layerImages();
        boolean rois = base.rois();
        if (!batch) {
            hyperstack = gd.getNextBoolean();
            layerImages = gd.getNextBoolean();
            rois = gd.getNextBoolean();
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
        DecomposeOptions chosenOptions = new DecomposeOptions(model, base.layers(), resolution, steps, base.cfg(),
                base.cfgNormalize(), seed, prompt, base.negative(), device, base.inputs(), hyperstack, layerImages,
                originalSize, output, picked.isEmpty() ? "png" : String.join(",", picked), false, maxLayers, rois,
                base.memory(), base.precision()).withLayerCount(layerCount, maxLayers);
        return advanced ? advanced(title, chosenOptions) : chosenOptions;
    }

    /** The second dialog: the expert settings. Null when cancelled. */
    static DecomposeOptions advanced(String title, DecomposeOptions base) {
        GenericDialog gd = new GenericDialog(title + " (advanced)");
        gd.addMessage("Settings most runs leave as they are (the model's official ones).");
        gd.addNumericField("CFG scale (1 = off)", base.cfg(), 1);
        gd.addCheckbox("CFG_normalize", base.cfgNormalize());
        gd.addStringField("Negative prompt (blank = \" \")", base.negative(), 40);
        gd.addFileField("Inputs: prompt embeddings .safetensors (optional)", base.inputs(), 30);
        gd.addMessage("    instead of encoding the prompt (reproducing a run made elsewhere)");
        MemoryFields.add(gd, base.memory());
        gd.addChoice("Precision", PRECISIONS, List.of(PRECISIONS).contains(base.precision()) ? base.precision()
                : "auto");
        gd.addMessage("    auto = float32 on the CPU, bf16 on CUDA; bf16 on the CPU is faster only with native bf16");
        gd.addHelp(HelpPage.html());
        gd.showDialog();
        if (gd.wasCanceled()) {
            return null;
        }
        double cfg = gd.getNextNumber();
        boolean normalize = gd.getNextBoolean();
        String negative = gd.getNextString();
        String inputs = gd.getNextString();
        MemoryOptions memory = MemoryFields.read(gd);
        String precision = gd.getNextChoice();
        if (gd.invalidNumber()) {
            throw new IllegalArgumentException("the CFG scale field holds no number");
        }
        return new DecomposeOptions(base.model(), base.layers(), base.resolution(), base.steps(), cfg, normalize,
                base.seed(), base.prompt(), negative, base.device(), inputs, base.hyperstack(), base.layerImages(),
                base.originalSize(), base.output(), base.formats(), base.autoLayers(), base.maxLayers(), base.rois(),
                memory, precision);
    }

    /** The format check boxes are only enabled while an output folder is given (blank = nothing is saved). */
    private static void formatsFollowOutput(GenericDialog gd, int formatCount) {
        @SuppressWarnings("unchecked")
        Vector<TextField> strings = gd.getStringFields();
        @SuppressWarnings("unchecked")
        Vector<Checkbox> boxes = gd.getCheckboxes();
        if (strings == null || boxes == null || boxes.size() < formatCount) {
            return;
        }
        TextField output = strings.lastElement();
        List<Checkbox> formatBoxes = boxes.subList(boxes.size() - formatCount, boxes.size());
        Runnable update = () -> formatBoxes.forEach(b -> b.setEnabled(!output.getText().isBlank()));
        update.run();
        output.addTextListener(e -> update.run());
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
