package org.layered.export;

import ij.CompositeImage;
import ij.ImagePlus;
import ij.ImageStack;
import ij.Prefs;
import ij.io.FileInfo;
import ij.io.FileSaver;
import ij.io.TiffEncoder;
import ij.measure.Calibration;
import ij.process.ByteProcessor;
import ij.process.LUT;
import net.imglib2.img.basictypeaccess.array.ByteArray;
import net.imglib2.img.planar.PlanarImg;
import net.imglib2.type.numeric.integer.UnsignedByteType;
import org.layered.image.PixelSize;
import org.layered.image.RgbaImgs;
import org.layered.layers.LayerTree;

import java.awt.Color;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * ImageJ hyperstack TIFF ({@code .tif}), the lossless Fiji round trip: 8-bit, C = 4 (red, green, blue, alpha,
 * straight alpha) x Z = N layers (Z = 1 is the bottom layer) x T = 1, with the pixel size as ImageJ's calibration
 * (the TIFF resolution tags and the unit in ImageJ's description), channel-fastest plane order, composite
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
    public void write(LayerDocument document, Path file) throws IOException {
        String title = file.getFileName() == null ? "layers" : file.getFileName().toString();
        ImagePlus imp = hyperstack(document, title);

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
     * The layers (the leaves of a nested document, in order) as an 8-bit {@link CompositeImage}, C = 4, Z = layers,
     * T = 1, with the pixel size as its calibration, as written to the file (also usable to show the layers in
     * ImageJ without saving). A nested document records each layer's path in the property {@code layer.<z>.path}
     * and each group's name in {@code group.<path>.name}.
     */
    public static ImagePlus hyperstack(LayerDocument document, String title) {
        List<LayerTree.PathLeaf> leaves = document.leaves();
        // the ImgLib2 layer image's planes are ImageJ's, in ImageJ's order: shown as they are, not copied
        PlanarImg<UnsignedByteType, ByteArray> img = RgbaImgs.layers(document.tree().images());
        int w = (int) img.dimension(0);
        int h = (int) img.dimension(1);
        int n = leaves.size();
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
        PixelSize p = document.pixelSize();
        if (p != null) {
            Calibration cal = ci.getCalibration();
            cal.pixelWidth = p.width();
            cal.pixelHeight = p.height();
            cal.setUnit(p.unit());
        }

        boolean nested = document.tree().isNested();
        StringBuilder info = new StringBuilder();
        info.append("Layered RGBA layers: C = red, green, blue, alpha (straight alpha); Z = layers, bottom to top\n");
        for (int z = 0; z < n; z++) {
            LayerTree.PathLeaf leaf = leaves.get(z);
            String role = z == 0 ? " (bottom)" : z == n - 1 ? " (top)" : "";
            info.append("layer ").append(nested ? leaf.path() : String.valueOf(z + 1)).append(role).append(": ")
                    .append(leaf.leaf().name()).append('\n');
            ci.setProp("layer." + (z + 1) + ".name", leaf.leaf().name());
            if (nested) {
                ci.setProp("layer." + (z + 1) + ".path", leaf.path());
            }
        }
        if (nested) {
            groupNames(document.tree().nodes(), "", ci);
        }
        ci.setProp("layers.order", "bottom to top (Z=1 is the bottom layer)");
        ci.setProperty("Info", info.toString());
        return ci;
    }

    private static void groupNames(List<LayerTree.Node> level, String prefix, ImagePlus imp) {
        for (int i = 0; i < level.size(); i++) {
            if (level.get(i) instanceof LayerTree.Group g) {
                String path = prefix + (i + 1);
                imp.setProp("group." + path + ".name", g.name());
                groupNames(g.children(), path + ".", imp);
            }
        }
    }

    /**
     * The layers of a layer hyperstack (8-bit, C = 4 with channel 4 the alpha, Z = layers bottom to top; T = 1),
     * as this class writes it or as a person edited it: the pixel values as they are (never the display range),
     * the nesting from the {@code layer.<z>.path} properties when they are there and consistent, the names from
     * {@code layer.<z>.name} (else "Layer z") and the calibration as the pixel size.
     *
     * @throws IllegalArgumentException naming what is wrong for anything else
     */
    public static LayerDocument document(ImagePlus imp) {
        String title = imp.getTitle();
        if (imp.getStack() == null || imp.getStackSize() == 0) {
            throw new IllegalArgumentException("'" + title + "' has no pixel data");
        }
        if (imp.getNChannels() != 4 || imp.getNFrames() != 1 || imp.getBitDepth() != 8) {
            throw new IllegalArgumentException("'" + title + "' is not a layer hyperstack: that is 8-bit with 4 "
                    + "channels (red, green, blue, alpha) and one Z slice per layer; it is " + imp.getBitDepth()
                    + "-bit with " + imp.getNChannels() + " channel(s), " + imp.getNSlices() + " slice(s) and "
                    + imp.getNFrames() + " frame(s)");
        }
        int w = imp.getWidth();
        int h = imp.getHeight();
        int n = imp.getNSlices();
        ImageStack stack = imp.getStack();
        List<org.layered.image.RgbaImage> layers = new java.util.ArrayList<>(n);
        List<String> names = new java.util.ArrayList<>(n);
        List<String> paths = new java.util.ArrayList<>(n);
        for (int z = 1; z <= n; z++) {
            byte[] px = new byte[w * h * 4];
            for (int c = 0; c < 4; c++) {
                byte[] plane = (byte[]) stack.getProcessor(imp.getStackIndex(c + 1, z, 1)).getPixels();
                for (int i = 0, j = c; i < plane.length; i++, j += 4) {
                    px[j] = plane[i];
                }
            }
            layers.add(new org.layered.image.RgbaImage(w, h, px));
            String name = imp.getProp("layer." + z + ".name");
            names.add(name == null || name.isBlank() ? "Layer " + z : name);
            paths.add(imp.getProp("layer." + z + ".path"));
        }
        LayerTree tree = LayerTree.flat(layers, names);
        if (paths.stream().allMatch(p -> p != null && !p.isBlank())) {
            try {
                tree = LayerTree.ofPaths(tree.leaves().stream().map(LayerTree.PathLeaf::leaf).toList(), paths,
                        path -> imp.getProp("group." + path + ".name"));
            } catch (IllegalArgumentException e) {
                // slices added or removed by hand: the layers as they stand, flat
            }
        }
        Calibration cal = imp.getCalibration();
        PixelSize pixelSize = cal != null && cal.scaled() ? new PixelSize(cal.pixelWidth, cal.pixelHeight,
                cal.getUnit()) : null;
        return LayerDocument.of(tree, pixelSize);
    }
}
