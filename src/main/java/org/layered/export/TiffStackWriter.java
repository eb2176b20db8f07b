package org.layered.export;

import ij.CompositeImage;
import ij.ImagePlus;
import ij.ImageStack;
import ij.Prefs;
import ij.io.FileInfo;
import ij.io.FileSaver;
import ij.io.TiffEncoder;
import ij.process.ByteProcessor;
import ij.process.LUT;
import net.imglib2.img.basictypeaccess.array.ByteArray;
import net.imglib2.img.planar.PlanarImg;
import net.imglib2.type.numeric.integer.UnsignedByteType;
import org.layered.image.RgbaImgs;
import org.layered.layers.LayerStack;

import java.awt.Color;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * ImageJ hyperstack TIFF ({@code .tif}), the lossless Fiji round trip: 8-bit, C = 4 (red, green, blue, alpha,
 * straight alpha) x Z = N layers (Z = 1 is the bottom layer) x T = 1, channel-fastest plane order, composite
 * display with red, green, blue and grey LUTs and display range 0-255. Every plane is labelled with its channel
 * ({@code red}, {@code green}, {@code blue}, {@code alpha}), so one Z position duplicated as a 4-slice stack is what
 * ImageJ's PNG writer saves as RGBA. Layer names go into the image Info and the properties {@code layer.<z>.name}.
 * The composite is not included (layers only; {@code mergedimage.png}, the PSD merged image and
 * {@code composite.png} carry it in the other formats).
 *
 * <p>The file is big-endian ({@code MM}), because ImageJ 1.54 reads non-Latin-1 text (layer names) back
 * correctly only from big-endian files.
 *
 * <p>This is the only class of the project's export code that touches ImageJ 1.x ({@code net.imagej:ij}); it is
 * written through {@link TiffEncoder} the way {@link FileSaver#saveAsTiffStack(String)} does, but with I/O errors
 * reported as exceptions instead of dialogs.
 */
public final class TiffStackWriter implements LayerExporter {
    /** Plane labels of the four channels, in stack order. */
    public static final List<String> CHANNEL_LABELS = List.of("red", "green", "blue", "alpha");

    @Override
    public String format() {
        return "tiff";
    }

    @Override
    public String extension() {
        return "tif";
    }

    @Override
    public void write(LayerStack stack, List<String> layerNames, Path file) throws IOException {
        ExportSupport.check(stack);
        List<String> names = LayerNames.resolve(layerNames, stack.size());
        String title = file.getFileName() == null ? "layers" : file.getFileName().toString();
        ImagePlus imp = hyperstack(stack, names, title);

        FileSaver saver = new FileSaver(imp);
        FileInfo fi = imp.getFileInfo();
        fi.info = imp.getInfoProperty();
        fi.description = saver.getDescriptionString();
        fi.sliceLabels = imp.getStack().getSliceLabels();
        fi.properties = imp.getPropertiesAsArray();
        saver.saveDisplayRangesAndLuts(imp, fi);
        TiffEncoder encoder = bigEndianEncoder(fi);

        Path part = ExportSupport.partFile(file);
        try {
            try (DataOutputStream out = new DataOutputStream(
                    new BufferedOutputStream(Files.newOutputStream(part), 1 << 16))) {
                encoder.write(out);
            }
            ExportSupport.commit(part, file);
        } catch (IOException | RuntimeException e) {
            ExportSupport.discard(part);
            throw e;
        }
    }

    /**
     * A big-endian encoder. ImageJ 1.54's TiffDecoder reads the UTF-16 text of little-endian files (Info, slice
     * labels, properties) only up to U+00FF, so names such as "猫" would not survive; its big-endian path is exact.
     * TiffEncoder takes its byte order from the global {@code Prefs.intelByteOrder} in its constructor only, so the
     * preference is switched for the duration of that call and restored at once (a TIFF saved concurrently in that
     * instant would merely come out big-endian, which is equally valid).
     */
    private static TiffEncoder bigEndianEncoder(FileInfo fi) {
        synchronized (Prefs.class) {
            boolean saved = Prefs.intelByteOrder;
            Prefs.intelByteOrder = false;
            try {
                return new TiffEncoder(fi);
            } finally {
                Prefs.intelByteOrder = saved;
            }
        }
    }

    /**
     * The stack as an 8-bit {@link CompositeImage}, C = 4, Z = layers, T = 1, as written to the file (also usable to
     * show the layers in ImageJ without saving).
     */
    public static ImagePlus hyperstack(LayerStack stack, List<String> layerNames, String title) {
        ExportSupport.check(stack);
        List<String> names = LayerNames.resolve(layerNames, stack.size());
        // the ImgLib2 layer image's planes are ImageJ's, in ImageJ's order: shown as they are, not copied
        PlanarImg<UnsignedByteType, ByteArray> img = RgbaImgs.layers(stack.layers());
        int w = (int) img.dimension(0);
        int h = (int) img.dimension(1);
        int n = stack.size();
        ImageStack planes = new ImageStack(w, h);
        for (int i = 0; i < img.numSlices(); i++) {
            planes.addSlice(CHANNEL_LABELS.get(i % 4), new ByteProcessor(w, h,
                    img.getPlane(i).getCurrentStorageArray()));
        }
        ImagePlus plain = new ImagePlus(title, planes);
        plain.setDimensions(4, n, 1);
        plain.setOpenAsHyperStack(true);
        CompositeImage ci = new CompositeImage(plain, CompositeImage.COMPOSITE);
        Color[] colours = {Color.RED, Color.GREEN, Color.BLUE, Color.WHITE};
        for (int c = 0; c < 4; c++) {
            LUT lut = LUT.createLutFromColor(colours[c]);
            lut.min = 0;
            lut.max = 255;
            ci.setChannelLut(lut, c + 1);
        }
        ci.setOpenAsHyperStack(true);

        StringBuilder info = new StringBuilder();
        info.append("Layered RGBA layers: C = red, green, blue, alpha (straight alpha); Z = layers, bottom to top\n");
        for (int z = 0; z < n; z++) {
            String role = z == 0 ? " (bottom)" : z == n - 1 ? " (top)" : "";
            info.append("layer ").append(z + 1).append(role).append(": ").append(names.get(z)).append('\n');
            ci.setProp("layer." + (z + 1) + ".name", names.get(z));
        }
        ci.setProp("layers.order", "bottom to top (Z=1 is the bottom layer)");
        ci.setProperty("Info", info.toString());
        return ci;
    }
}
