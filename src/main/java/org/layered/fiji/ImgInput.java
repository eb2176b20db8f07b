package org.layered.fiji;

import net.imglib2.RandomAccessibleInterval;
import net.imglib2.type.numeric.ARGBType;
import net.imglib2.type.numeric.IntegerType;
import net.imglib2.type.numeric.RealType;
import net.imglib2.type.numeric.integer.UnsignedByteType;
import net.imglib2.view.Views;
import org.layered.image.ByteScaling;
import org.layered.image.RgbaImgs;

import java.util.ArrayList;
import java.util.List;

/**
 * Any ImgLib2 image a script passes ({@code #@ Img}, {@code #@ RandomAccessibleInterval}, a view) to the RGBA the
 * pipeline takes. Layouts, by the number of dimensions (any minimum): X, Y of {@link ARGBType} (RGB) or of a
 * {@link RealType} (grey); X, Y, C with C = 1 (grey), 3 (red, green, blue) or 4 (red, green, blue, alpha). An image
 * has no display range here, so values are taken as they are when they are 8-bit unsigned, and other types are
 * scaled to 8 bits with the data range (the colour channels together, alpha on its own), by ImageJ's 16-bit rule for
 * integer types and its 32-bit rule for real ones; the conversion says so.
 */
public final class ImgInput {
    private ImgInput() {
    }

    /**
     * The image as one input plane named {@code name}.
     *
     * @throws DecomposeException for a layout or type it cannot take, saying what it takes
     */
    @SuppressWarnings("unchecked")
    public static ImageConversion.InputPlane plane(RandomAccessibleInterval<?> img, String name)
            throws DecomposeException {
        if (img == null) {
            throw new DecomposeException("no image: pass an ImgLib2 image (#@ Img or #@ RandomAccessibleInterval)");
        }
        Object type = img.getType();
        String layout = RgbaImgs.dims(img) + " " + type.getClass().getSimpleName();
        String base = ImageConversion.baseName(name);
        String source = "ImgLib2 image " + layout;
        try {
            if (type instanceof ARGBType && img.numDimensions() == 2) {
                return new ImageConversion.InputPlane(RgbaImgs.fromArgb((RandomAccessibleInterval<ARGBType>) img),
                        base, source, "ARGB taken as opaque RGB", null);
            }
            if (!(type instanceof RealType) || img.numDimensions() < 2 || img.numDimensions() > 3
                    || (img.numDimensions() == 3 && img.dimension(2) != 1 && img.dimension(2) != 3
                    && img.dimension(2) != 4)) {
                throw new DecomposeException("image " + layout + ": Layered takes X,Y (grey, or ARGBType colour) or "
                        + "X,Y,C with C = 1, 3 (RGB) or 4 (RGBA, the 4th channel is alpha) of a real type; pick one "
                        + "plane first, e.g. Views.hyperSlice(img, 3, z)");
            }
            RandomAccessibleInterval<? extends RealType<?>> real = (RandomAccessibleInterval<? extends RealType<?>>) img;
            List<RandomAccessibleInterval<? extends RealType<?>>> channels = new ArrayList<>();
            if (img.numDimensions() == 2) {
                channels.add(real);
            } else {
                for (long c = 0; c < img.dimension(2); c++) {
                    channels.add(Views.hyperSlice(real, 2, img.min(2) + c));
                }
            }
            if (channels.size() == 1) {
                ByteScaling s = scaling(type, channels);
                String note = s.rule() == ByteScaling.Rule.BYTE ? "8-bit grey taken as RGB (grey values unchanged)"
                        : "grey " + scaled(s);
                return new ImageConversion.InputPlane(RgbaImgs.fromGrey(channels.get(0), s, null), base, source, note,
                        null);
            }
            ByteScaling colour = scaling(type, channels.subList(0, 3));
            List<ByteScaling> scalings = new ArrayList<>(List.of(colour, colour, colour));
            List<String> notes = new ArrayList<>();
            if (channels.size() == 4) {
                notes.add("RGBA from channels 1-4 (4 = alpha)");
            }
            if (colour.rule() != ByteScaling.Rule.BYTE) {
                notes.add("colour " + scaled(colour));
            }
            if (channels.size() == 4) {
                ByteScaling alpha = scaling(type, channels.subList(3, 4));
                scalings.add(alpha);
                if (alpha.rule() != ByteScaling.Rule.BYTE) {
                    notes.add("alpha " + scaled(alpha));
                }
            }
            return new ImageConversion.InputPlane(RgbaImgs.fromChannels(channels, scalings), base, source,
                    String.join("; ", notes), null);
        } catch (IllegalArgumentException e) {
            throw new DecomposeException("image " + layout + ": " + e.getMessage(), e);
        }
    }

    /** 8-bit unsigned values as they are; anything else by the data range of {@code channels}. */
    private static ByteScaling scaling(Object type, List<RandomAccessibleInterval<? extends RealType<?>>> channels) {
        if (type instanceof UnsignedByteType) {
            return ByteScaling.BYTE;
        }
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (RandomAccessibleInterval<? extends RealType<?>> c : channels) {
            for (RealType<?> v : Views.flatIterable(c)) {
                double d = v.getRealDouble();
                if (d < min) {
                    min = d;
                }
                if (d > max) {
                    max = d;
                }
            }
        }
        if (!(min <= max)) { // all NaN
            min = 0;
            max = 1;
        }
        return type instanceof IntegerType ? ByteScaling.integer(min, max) : ByteScaling.real(min, max);
    }

    private static String scaled(ByteScaling s) {
        return "scaled to 8 bits with the data range [" + DecomposeOptions.number(s.min()) + ", "
                + DecomposeOptions.number(s.max()) + "]";
    }
}
