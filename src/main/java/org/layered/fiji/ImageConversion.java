package org.layered.fiji;

import ij.CompositeImage;
import ij.ImagePlus;
import ij.ImageStack;
import ij.measure.Calibration;
import ij.process.ImageProcessor;
import ij.process.LUT;
import net.imglib2.RandomAccessibleInterval;
import net.imglib2.img.array.ArrayImgs;
import net.imglib2.type.numeric.RealType;
import org.layered.image.ByteScaling;
import org.layered.image.RgbaImage;
import org.layered.image.RgbaImgs;

import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * ImageJ images to the RGBA the pipeline takes, with every input rule in one place. The planes' pixel arrays are
 * wrapped as ImgLib2 images without copying and converted by {@link RgbaImgs}, the conversion the ImgLib2 front
 * end uses too:
 * <ul>
 *   <li>RGB: as is, opaque;</li>
 *   <li>8-bit (grey or indexed colour), 16-bit and 32-bit: converted as displayed, i.e. through the LUT and the
 *       display range (the conversion is stated in the log and the result's Info);</li>
 *   <li>an RGBA image: a 4-channel (hyper)stack whose 4th channel is labelled {@code alpha}, such as a layer
 *       hyperstack this plugin made (recursive decomposition), or a 4-slice stack whose 4th slice is labelled
 *       {@code alpha} (ImageJ's RGBA PNG convention);</li>
 *   <li>stacks and hyperstacks: one plane (the current one in a single run, every one in a batch);</li>
 *   <li>anything else (other multi-channel images, an image without pixels): a {@link DecomposeException}.</li>
 * </ul>
 */
public final class ImageConversion {
    /** The label that marks the alpha channel (channel 4, or slice 4 of a 4-slice stack). */
    public static final String ALPHA_LABEL = "alpha";

    private ImageConversion() {}

    /** How an image's pixels are read. */
    public enum Kind {
        /** RGB colour. */
        RGB,
        /** One channel of 8, 16 or 32 bits, converted through the LUT and display range. */
        GREY,
        /** C = 4 with channel 4 labelled alpha; one (z, t) position is one RGBA image. */
        RGBA_CHANNELS,
        /** A plain 4-slice stack, slice 4 labelled alpha: the whole stack is one RGBA image. */
        RGBA_SLICES
    }

    /** A position in an image: z and t are 1-based (channels are always all taken, or there is only one). */
    public record Position(int z, int t) {}

    /**
     * One image plane ready for the pipeline.
     *
     * @param image       the RGBA pixels (input size)
     * @param name        the plane's name for titles and folders: the title without extension, plus
     *                    {@code -z3}/{@code -t2} for one plane of a stack
     * @param source      human-readable description of where it came from
     * @param conversion  how the pixels were converted, or "" when taken as they are
     * @param calibration the input's calibration (a copy)
     */
    public record InputPlane(RgbaImage image, String name, String source, String conversion,
            Calibration calibration) {
        public int width() {
            return image.width();
        }

        public int height() {
            return image.height();
        }
    }

    /**
     * What kind of input {@code imp} is.
     *
     * @throws DecomposeException for an image the plugin cannot decompose, saying what to do
     */
    public static Kind kind(ImagePlus imp) throws DecomposeException {
        if (imp == null) {
            throw new DecomposeException("no image: open an image first (RGB, 8/16/32-bit, or an RGBA layer stack)");
        }
        String title = imp.getTitle();
        if (imp.getProcessor() == null || imp.getWidth() <= 0 || imp.getHeight() <= 0 || imp.getStackSize() < 1
                || imp.getImageStack() == null || imp.getImageStack().getSize() < 1) {
            throw new DecomposeException("image '" + title + "' has no pixel data (empty image or empty stack)");
        }
        if ((long) imp.getWidth() * imp.getHeight() * 4 > Integer.MAX_VALUE - 8) {
            throw new DecomposeException("image '" + title + "' (" + imp.getWidth() + "x" + imp.getHeight()
                    + ") is too large to convert; scale it down first (Image > Scale...)");
        }
        int channels = imp.getNChannels();
        int[] czt = imp.convertIndexToPosition(imp.getCurrentSlice());
        if (channels == 4 && isAlpha(label(imp, imp.getStackIndex(4, czt[1], czt[2])))) {
            return Kind.RGBA_CHANNELS;
        }
        if (channels == 1 && imp.getStackSize() == 4 && imp.getNFrames() == 1 && imp.getType() != ImagePlus.COLOR_RGB
                && isAlpha(label(imp, 4))) {
            return Kind.RGBA_SLICES;
        }
        if (channels > 1) {
            throw new DecomposeException("image '" + title + "' has " + channels + " channels; Layered takes RGB, "
                    + "single-channel (8/16/32-bit) images, or RGBA as 4 channels with channel 4 labelled 'alpha'. "
                    + "Convert it first (Image > Type > RGB Color) or pick one channel (Image > Duplicate...)");
        }
        return switch (imp.getType()) {
            case ImagePlus.COLOR_RGB -> Kind.RGB;
            case ImagePlus.GRAY8, ImagePlus.COLOR_256, ImagePlus.GRAY16, ImagePlus.GRAY32 -> Kind.GREY;
            default -> throw new DecomposeException("image '" + title + "' has an unsupported type (" + imp.getType()
                    + "); convert it to RGB Color first");
        };
    }

    /** The plane the user is looking at (the current z and t; the channel does not matter for RGBA). */
    public static InputPlane current(ImagePlus imp) throws DecomposeException {
        Kind kind = kind(imp);
        int[] czt = imp.convertIndexToPosition(imp.getCurrentSlice());
        return plane(imp, kind, new Position(czt[1], czt[2]), imp.getCurrentSlice());
    }

    /** Every plane of {@code imp}, in stack order (one per z and t; a 4-slice RGBA stack is one plane). */
    public static List<Position> positions(ImagePlus imp) throws DecomposeException {
        Kind kind = kind(imp);
        List<Position> out = new ArrayList<>();
        if (kind == Kind.RGBA_SLICES) {
            out.add(new Position(1, 1));
            return out;
        }
        for (int t = 1; t <= imp.getNFrames(); t++) {
            for (int z = 1; z <= imp.getNSlices(); z++) {
                out.add(new Position(z, t));
            }
        }
        return out;
    }

    /** The plane at {@code p} (see {@link #positions}). */
    public static InputPlane plane(ImagePlus imp, Position p) throws DecomposeException {
        Kind kind = kind(imp);
        if (p.z() < 1 || p.z() > imp.getNSlices() || p.t() < 1 || p.t() > imp.getNFrames()) {
            throw new DecomposeException("image '" + imp.getTitle() + "' has no plane z=" + p.z() + ", t=" + p.t());
        }
        return plane(imp, kind, p, imp.getStackIndex(1, p.z(), p.t()));
    }

    /** The plane at {@code p}, named {@code base} plus the plane suffix (batch: unique names per file). */
    public static InputPlane plane(ImagePlus imp, Position p, String base) throws DecomposeException {
        InputPlane in = plane(imp, p);
        String name = base + planeSuffix(imp, p);
        return new InputPlane(in.image(), name, in.source(), in.conversion(), in.calibration());
    }

    private static InputPlane plane(ImagePlus imp, Kind kind, Position p, int index) throws DecomposeException {
        int w = imp.getWidth();
        int h = imp.getHeight();
        String name = baseName(imp.getTitle()) + planeSuffix(imp, kind, p);
        Calibration cal = imp.getCalibration().copy();
        String source = "'" + imp.getTitle() + "'" + (planeSuffix(imp, kind, p).isEmpty() ? ""
                : " plane" + (imp.getNSlices() > 1 ? " z=" + p.z() : "") + (imp.getNFrames() > 1 ? " t=" + p.t() : ""))
                + ", " + w + "x" + h + ", " + typeName(imp);
        ImageProcessor current = imp.getProcessor();
        switch (kind) {
            case RGB -> {
                int[] argb = (int[]) planePixels(imp, index);
                return new InputPlane(RgbaImgs.fromArgb(ArrayImgs.argbs(argb, w, h)), name, source, "", cal);
            }
            case GREY -> {
                // as ImageJ displays it: 8-bit through the LUT that carries the display range, 16- and 32-bit
                // scaled by the display range, then through the LUT (what ImageProcessor.convertToRGB does)
                int bits = current.getBitDepth();
                ByteScaling scaling = bits == 8 ? ByteScaling.BYTE : bits == 16
                        ? ByteScaling.integer(current.getMin(), current.getMax())
                        : ByteScaling.real(current.getMin(), current.getMax());
                int[] lut = colours(bits == 32 ? current.getColorModel() : current.getCurrentColorModel());
                RgbaImage image = RgbaImgs.fromGrey(wrap(planePixels(imp, index), w, h), scaling, lut);
                return new InputPlane(image, name, source, greyNote(imp, current), cal);
            }
            case RGBA_CHANNELS, RGBA_SLICES -> {
                List<RandomAccessibleInterval<? extends RealType<?>>> channels = new ArrayList<>();
                List<ByteScaling> scalings = new ArrayList<>();
                List<String> scaled = new ArrayList<>();
                for (int c = 1; c <= 4; c++) {
                    int i = kind == Kind.RGBA_SLICES ? c : imp.getStackIndex(c, p.z(), p.t());
                    Object px = imp.getImageStack().getPixels(i);
                    channels.add(wrap(px, w, h));
                    scalings.add(channelScaling(imp, kind, c, px, scaled));
                }
                String note = "RGBA from " + (kind == Kind.RGBA_SLICES ? "slices" : "channels")
                        + " 1-4 (4 = alpha)" + (scaled.isEmpty() ? "" : "; " + String.join("; ", scaled));
                return new InputPlane(RgbaImgs.fromChannels(channels, scalings), name, source, note, cal);
            }
            default -> throw new IllegalStateException(kind.toString());
        }
    }

    /** The pixel array of stack plane {@code index}; the current plane's from the processor on screen. */
    private static Object planePixels(ImagePlus imp, int index) {
        return index == imp.getCurrentSlice() ? imp.getProcessor().getPixels() : imp.getImageStack().getPixels(index);
    }

    /** An ImageJ 1.x pixel array as an ImgLib2 image, without copying it. */
    static RandomAccessibleInterval<? extends RealType<?>> wrap(Object pixels, int w, int h) {
        if (pixels instanceof byte[] b) {
            return ArrayImgs.unsignedBytes(b, w, h);
        } else if (pixels instanceof short[] s) {
            return ArrayImgs.unsignedShorts(s, w, h);
        } else if (pixels instanceof float[] f) {
            return ArrayImgs.floats(f, w, h);
        }
        throw new IllegalArgumentException("not a grey ImageJ plane: " + (pixels == null ? "no pixels"
                : pixels.getClass().getSimpleName()));
    }

    /** A LUT's 256 colours (packed RGB), or null for a colour model that is no LUT. */
    private static int[] colours(ColorModel cm) {
        if (!(cm instanceof IndexColorModel icm)) {
            return null;
        }
        int[] out = new int[256];
        for (int i = 0; i < Math.min(256, icm.getMapSize()); i++) {
            out[i] = icm.getRGB(i) & 0xFFFFFF;
        }
        return out;
    }

    /** 8-bit channels as they are; 16- and 32-bit ones by the channel's display range (noted in {@code scaled}). */
    private static ByteScaling channelScaling(ImagePlus imp, Kind kind, int c, Object pixels, List<String> scaled) {
        if (pixels instanceof byte[]) {
            return ByteScaling.BYTE;
        }
        double min;
        double max;
        if (imp instanceof CompositeImage ci && kind == Kind.RGBA_CHANNELS) {
            LUT lut = ci.getChannelLut(c);
            min = lut.min;
            max = lut.max;
        } else {
            min = imp.getDisplayRangeMin();
            max = imp.getDisplayRangeMax();
        }
        ByteScaling s = pixels instanceof short[] ? ByteScaling.integer(min, max) : ByteScaling.real(min, max);
        scaled.add(channelName(c) + " scaled to 8 bits from display range [" + DecomposeOptions.number(s.min()) + ", "
                + DecomposeOptions.number(s.max()) + "]");
        return s;
    }

    private static String channelName(int c) {
        return switch (c) {
            case 1 -> "red";
            case 2 -> "green";
            case 3 -> "blue";
            default -> "alpha";
        };
    }

    private static String greyNote(ImagePlus imp, ImageProcessor ip) {
        int bits = ip.getBitDepth();
        String range = "[" + DecomposeOptions.number(ip.getMin()) + ", " + DecomposeOptions.number(ip.getMax()) + "]";
        if (bits == 8) {
            boolean defaultRange = ip.getMin() == 0 && ip.getMax() == 255;
            boolean colour = imp.getType() == ImagePlus.COLOR_256 || ip.isColorLut();
            if (defaultRange && !colour && !ip.isInvertedLut()) {
                return "8-bit grey taken as RGB (grey values unchanged)";
            }
            return "8-bit image converted to RGB as displayed: " + (colour ? "colour LUT" : ip.isInvertedLut()
                    ? "inverting LUT" : "grey LUT") + ", display range " + range;
        }
        return bits + "-bit image converted to 8-bit RGB with the display range " + range
                + " (set it with Image > Adjust > Brightness/Contrast)";
    }

    private static String label(ImagePlus imp, int index) {
        ImageStack stack = imp.getImageStack();
        if (index < 1 || index > stack.getSize()) {
            return null;
        }
        return stack.getSliceLabel(index);
    }

    static boolean isAlpha(String label) {
        if (label == null) {
            return false;
        }
        String first = label.lines().findFirst().orElse("").strip();
        return first.equalsIgnoreCase(ALPHA_LABEL);
    }

    /** What {@link #plane} appends to the image's name for plane {@code p}: {@code -z3}, {@code -t2}, or "". */
    public static String planeSuffix(ImagePlus imp, Position p) throws DecomposeException {
        return planeSuffix(imp, kind(imp), p);
    }

    private static String planeSuffix(ImagePlus imp, Kind kind, Position p) {
        if (kind == Kind.RGBA_SLICES) {
            return "";
        }
        StringBuilder b = new StringBuilder();
        if (imp.getNSlices() > 1) {
            b.append("-z").append(p.z());
        }
        if (imp.getNFrames() > 1) {
            b.append("-t").append(p.t());
        }
        return b.toString();
    }

    private static String typeName(ImagePlus imp) {
        return switch (imp.getType()) {
            case ImagePlus.COLOR_RGB -> "RGB";
            case ImagePlus.GRAY8 -> "8-bit";
            case ImagePlus.COLOR_256 -> "8-bit colour";
            case ImagePlus.GRAY16 -> "16-bit";
            case ImagePlus.GRAY32 -> "32-bit";
            default -> "type " + imp.getType();
        } + (imp.getStackSize() > 1 ? ", " + imp.getNChannels() + "c x " + imp.getNSlices() + "z x "
                + imp.getNFrames() + "t" : "");
    }

    /** A title without its image-file extension, made safe as a folder name. */
    public static String baseName(String title) {
        String t = title == null || title.isBlank() ? "image" : title.strip();
        String lower = t.toLowerCase(Locale.ROOT);
        for (String ext : new String[] {".ome.tiff", ".ome.tif", ".tiff", ".tif", ".png", ".jpeg", ".jpg", ".gif",
                ".bmp", ".pgm", ".zip"}) {
            if (lower.endsWith(ext) && t.length() > ext.length()) {
                t = t.substring(0, t.length() - ext.length());
                break;
            }
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            b.append(c == '/' || c == '\\' || c == ':' || c == '*' || c == '?' || c == '"' || c == '<' || c == '>'
                    || c == '|' || Character.isISOControl(c) ? '_' : c);
        }
        String s = b.toString().strip();
        return s.isEmpty() || s.equals(".") || s.equals("..") ? "image" : s;
    }
}
