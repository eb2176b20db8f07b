package org.layered.fiji.scijava;

import org.layered.engine.ContextClassLoader;
import org.layered.fiji.BatchDecompose;
import org.layered.fiji.DecomposeException;
import org.layered.fiji.Messages;
import org.layered.fiji.PipelineDecomposer;
import org.layered.fiji.RunCheck;
import org.layered.engine.Cancellation;
import org.scijava.ItemIO;
import org.scijava.command.Command;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;
import org.scijava.widget.FileWidget;

import java.io.File;

/**
 * Plugins > Layered > Decompose Folder... as a SciJava command: every image of {@code folder} (all planes) into
 * {@code output}, resumable, optionally one {@code shard} (i/n) of the folder for cluster job arrays. Headless.
 */
@Plugin(type = Command.class, menuPath = "Plugins>Layered>Decompose Folder...", headless = true,
        description = "Decompose every image of a folder into RGBA layers (resumable, shardable)")
public class DecomposeFolderCommand extends AbstractLayeredCommand {
    @Parameter(label = "Folder of images", style = FileWidget.DIRECTORY_STYLE)
    private File folder;

    @Parameter(label = "Output folder", style = FileWidget.DIRECTORY_STYLE)
    private File output;

    @Parameter(label = "Shard i/n", required = false, description = "Take only files i, i+n, i+2n, ... of the "
            + "sorted list (i counts from 0); blank = all. For cluster job arrays")
    private String shard = "";

    @Parameter(type = ItemIO.OUTPUT, label = "Summary")
    private String summary;

    @Override
    public void run() {
        ContextClassLoader.run(getClass(), this::decomposeFolder);
    }

    private void decomposeFolder() {
        Cancellation cancel = new Cancellation();
        SciJavaProgress progress = null;
        try {
            BatchDecompose batch = new BatchDecompose(options(false, false, output),
                    folder == null ? null : folder.toPath(), BatchDecompose.Shard.parse(shard),
                    new PipelineDecomposer().withCheck(RunCheck.logging(m -> log.info(m))), m -> log.info(m));
            progress = progress("Layered: decompose folder " + folder, cancel);
            BatchDecompose.Summary s = batch.run(progress, cancel);
            summary = s.toString();
            log.info("Layered batch: " + summary);
        } catch (IllegalArgumentException e) {
            fail(e.getMessage());
        } catch (DecomposeException e) {
            fail(e.getMessage());
        } catch (RuntimeException | Error e) {
            fail("unexpected error: " + Messages.forImageJ(e));
        } finally {
            if (progress != null) {
                progress.finish();
            }
        }
    }
}
