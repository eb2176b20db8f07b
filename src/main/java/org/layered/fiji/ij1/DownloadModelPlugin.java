package org.layered.fiji.ij1;

import ij.IJ;
import ij.Macro;
import ij.gui.GenericDialog;
import ij.plugin.PlugIn;
import org.layered.fiji.DecomposeException;
import org.layered.fiji.Ij1Download;
import org.layered.fiji.MacroOptions;
import org.layered.fiji.Messages;
import org.layered.fiji.ModelDownload;
import org.layered.store.FetchPlan;
import org.layered.store.ModelNotFoundException;
import org.layered.store.ModelStore;

/**
 * Plugins > Layered > Download Model...: downloads a model from the Hugging Face hub to where Decompose finds it:
 * {@code run("Download Model...", "model=Qwen/Qwen-Image-Layered location=[Fiji models folder]")}. Options:
 * {@code model} (default the default model), {@code location} (Fiji models folder, Hugging Face cache or Plugin
 * cache; blank = the Hugging Face cache when it exists, else Fiji's models folder), {@code cache} (any other folder,
 * in the Hugging Face cache layout; overrides {@code location}), {@code endpoint} (a hub mirror). A person sees a
 * dialog with each place's free space and confirms the size first; macros and headless runs download at once. Esc
 * cancels; running it again resumes.
 */
public class DownloadModelPlugin implements PlugIn {
    public static final String MODEL = "model";
    public static final String CACHE = "cache";
    public static final String LOCATION = "location";
    public static final String ENDPOINT = "endpoint";
    static final String PREFS_KEY = "download";

    @Override
    public void run(String arg) {
        Ij1Support.withPluginClassLoader(getClass(), () -> {
            try {
                download();
            } catch (RuntimeException | Error e) {
                Ij1Support.unexpected(e);
            }
        });
    }

    private void download() {
        String macroOptions = Macro.getOptions();
        boolean interactive = Ij1Support.interactive(macroOptions);
        String model;
        String location;
        String cache;
        String endpoint;
        ModelStore store;
        try {
            MacroOptions o = MacroOptions.parse(interactive ? Ij1Support.load(PREFS_KEY) : macroOptions);
            model = o.string(MODEL, "");
            location = o.string(LOCATION, "");
            cache = o.string(CACHE, "");
            endpoint = o.string(ENDPOINT, "");
            if (interactive) {
                ModelStore here = ModelDownload.store("", "", "");
                String[] places = ModelDownload.places(here).stream().map(d -> ModelDownload.label(d.source()))
                        .toArray(String[]::new);
                String chosen = ModelDownload.label(here.downloadDestination().source());
                for (String place : places) {
                    if (place.equalsIgnoreCase(location)) {
                        chosen = place; // the last choice, while it is still offered
                    }
                }
                GenericDialog gd = new GenericDialog("Layered: Download Model");
                gd.addStringField("Model (repository id; blank = the default model)", model, 30);
                gd.addChoice("Download into", places, chosen);
                gd.addMessage(ModelDownload.placesText(here));
                gd.addDirectoryField("Other folder (overrides the choice; Hugging Face cache layout)", cache, 30);
                gd.addStringField("Endpoint (blank = https://huggingface.co)", endpoint, 30);
                gd.showDialog();
                if (gd.wasCanceled()) {
                    return;
                }
                model = gd.getNextString().strip();
                location = gd.getNextChoice();
                cache = gd.getNextString().strip();
                endpoint = gd.getNextString().strip();
            }
            store = ModelDownload.store(cache, endpoint, location);
        } catch (IllegalArgumentException e) {
            Ij1Support.error(e.getMessage());
            return;
        }
        String ref = ModelDownload.ref(store, model);
        try {
            if (interactive) {
                IJ.showStatus("Layered: asking the hub about " + ref + "...");
                FetchPlan plan = ModelDownload.plan(store, ref);
                if (!plan.isComplete() && !IJ.showMessageWithCancel("Layered: Download Model",
                        Messages.wrap(ModelDownload.question(plan), Messages.DIALOG_WIDTH))) {
                    IJ.showStatus("");
                    return;
                }
                String recorded = options(model, location, cache, endpoint);
                Ij1Support.save(PREFS_KEY, recorded);
                Ij1Support.record(recorded);
            }
            ModelStore.FetchResult r = Ij1Download.forCurrentSession().fetch(store, ref);
            IJ.log(ModelDownload.summary(r));
            IJ.showStatus("Layered: " + ref + " downloaded");
        } catch (DecomposeException e) {
            if (ModelDownload.isCancelled(e)) {
                IJ.log("Layered: " + e.getMessage());
                IJ.showStatus("Layered: download cancelled");
            } else {
                Ij1Support.error(e.getMessage());
            }
        }
    }

    static String options(String model, String location, String cache, String endpoint) {
        StringBuilder b = new StringBuilder(MacroOptions.item(MODEL, model.isBlank() ? "default" : model));
        if (!location.isBlank()) {
            b.append(' ').append(MacroOptions.item(LOCATION, location));
        }
        if (!cache.isBlank()) {
            b.append(' ').append(MacroOptions.item(CACHE, cache));
        }
        if (!endpoint.isBlank()) {
            b.append(' ').append(MacroOptions.item(ENDPOINT, endpoint));
        }
        return b.toString();
    }

    /**
     * The offer of an interactive Decompose when the model is missing: asks "download it (57.7 GB) now?", then
     * shows the plan and downloads with the same progress as this command.
     */
    static boolean offer(ModelNotFoundException missing, ModelStore store) throws DecomposeException {
        if (!IJ.showMessageWithCancel("Layered: model not found", Messages.wrap(ModelDownload.offer(missing)
                + "\n\nIt goes into " + ModelDownload.destination(store) + ".\nYou can also download it later with "
                + ModelDownload.MENU, Messages.DIALOG_WIDTH))) {
            return false;
        }
        String ref = missing.ref().toString();
        ModelStore.FetchResult r = Ij1Download.forCurrentSession().fetch(store, ref);
        IJ.log(ModelDownload.summary(r));
        return true;
    }
}
