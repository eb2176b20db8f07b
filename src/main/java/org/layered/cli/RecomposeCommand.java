package org.layered.cli;

import org.layered.export.LayerDocument;
import org.layered.export.LayerFiles;
import org.layered.export.PngLayerWriter;
import org.layered.image.RgbaImage;
import org.layered.layers.Recompose;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code layered recompose --in DIR|layers.tif|layers.ora --out composite.png [--only 1,3]}: the layers of a
 * result (possibly edited in another program) composited back into one straight-alpha PNG, bottom to top.
 */
final class RecomposeCommand implements CliCommand {
    @Override
    public String name() {
        return "recompose";
    }

    @Override
    public String summary() {
        return "composite a result's layers (all, or some) back into one PNG";
    }

    @Override
    public String usage() {
        return """
                usage: layered recompose --in DIR|layers.tif|layers.ora --out composite.png [--only 1,3]

                  --in SOURCE   a result folder (its layer PNGs and manifest.json, else its layers.ora or
                                layers.tif), an OpenRaster file (also from GIMP or Krita: offsets, opacity and
                                hidden layers are honoured) or an ImageJ layer hyperstack TIFF
                  --out FILE    the PNG to write (straight-alpha RGBA; replaced if it exists)
                  --only LIST   the layers to composite, comma-separated, 1 = bottom (default: all); a sub-layer of
                                a layer decomposed again is 2.1, 2.2, ...; a group stands for all its sub-layers

                Layers are composited bottom to top with straight-alpha "over", the code that checks every
                decomposition, so the layers of an unedited result give back its composite.png.
                """;
    }

    @Override
    public Set<String> flags() {
        return Set.of("in", "out", "only");
    }

    @Override
    public int run(CliArgs args, PrintStream out, PrintStream err) throws Exception {
        Path in = args.path("in");
        Path file = args.path("out");
        if (!file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".png")) {
            throw new CliArgs.UsageException("--out must name a .png file, got '" + file + "'");
        }
        List<String> only;
        try {
            only = Recompose.parseOnly(args.string("only", null));
        } catch (IllegalArgumentException e) {
            throw new CliArgs.UsageException("--only: " + e.getMessage());
        }
        LayerDocument doc = LayerFiles.read(in);
        RgbaImage composite;
        int used;
        try {
            used = Recompose.chosen(doc.tree(), only).size();
            composite = Recompose.composite(doc.tree(), only);
        } catch (IllegalArgumentException e) {
            throw new CliArgs.UsageException("--only: " + e.getMessage());
        }
        PngLayerWriter.write(composite, file);
        out.printf(Locale.ROOT, "wrote the composite of %d of %d layers (%dx%d) to %s%n", used, doc.layerCount(),
                composite.width(), composite.height(), file);
        return 0;
    }
}
