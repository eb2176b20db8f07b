package org.layered.fiji.ij1;

import ij.IJ;
import ij.Macro;
import ij.plugin.PlugIn;
import org.layered.fiji.BatchDecompose;
import org.layered.fiji.DecomposeException;
import org.layered.fiji.DecomposeOptions;
import org.layered.fiji.Ij1Progress;
import org.layered.fiji.MacroOptions;
import org.layered.fiji.PipelineDecomposer;
import org.layered.fiji.RunCheck;
import org.layered.engine.Cancellation;

import java.nio.file.Path;

/**
 * Plugins > Layered > Decompose Folder: every image of {@code folder} (all planes of stacks) into {@code output},
 * skipping planes already done, optionally one shard of the folder:
 * {@code run("Decompose Folder...", "folder=/in output=/out shard=0/4 layers=4 ...")} (the old name
 * {@code "Decompose Folder"} still works). Headless-safe: it opens and
 * writes files only.
 */
public class DecomposeFolderPlugin implements PlugIn {
    public static final String FOLDER = "folder";
    public static final String SHARD = "shard";
    static final String PREFS_KEY = "decompose.folder";

    @Override
    public void run(String arg) {
        Ij1Support.withPluginClassLoader(getClass(), () -> {
            try {
                batch();
            } catch (RuntimeException | Error e) {
                Ij1Support.unexpected(e);
            }
        });
    }

    private void batch() {
        String macroOptions = Macro.getOptions();
        boolean interactive = Ij1Support.interactive(macroOptions);
        DecomposeOptions options;
        String folder;
        String shard;
        try {
            MacroOptions saved = MacroOptions.parse(interactive ? Ij1Support.load(PREFS_KEY) : macroOptions);
            DecomposeOptions base = DecomposeOptions.parse(saved, DecomposeOptions.defaults());
            folder = saved.string(FOLDER, "");
            shard = saved.string(SHARD, "");
            if (interactive) {
                String[] extra = {folder, shard};
                options = DecomposeDialog.show("Layered: Decompose Folder", base, DecomposeDialog.Mode.FOLDER, extra);
                if (options == null) {
                    return;
                }
                folder = extra[0];
                shard = extra[1];
                String recorded = MacroOptions.item(FOLDER, folder) + " " + options.toMacroString()
                        + (shard.isBlank() ? "" : " " + MacroOptions.item(SHARD, shard));
                Ij1Support.save(PREFS_KEY, recorded);
                Ij1Support.record(recorded);
            } else {
                options = base;
            }
        } catch (IllegalArgumentException e) {
            Ij1Support.error(e.getMessage());
            return;
        }
        if (folder.isBlank()) {
            Ij1Support.error("no folder of images: set folder=/path/to/images");
            return;
        }
        Cancellation cancel = new Cancellation();
        Ij1Progress progress = Ij1Progress.forCurrentSession(cancel);
        try {
            BatchDecompose batch = new BatchDecompose(options, Path.of(folder), BatchDecompose.Shard.parse(shard),
                    new PipelineDecomposer().withCheck(RunCheck.logging(IJ::log)), IJ::log);
            BatchDecompose.Summary s = batch.run(progress, cancel);
            IJ.log("Layered batch: " + s);
            IJ.showStatus("Layered batch: " + s);
        } catch (IllegalArgumentException e) {
            Ij1Support.error(e.getMessage());
        } catch (DecomposeException e) {
            Ij1Support.error(e.getMessage());
        } finally {
            progress.done();
        }
    }
}
