package org.layered.image;

import net.imglib2.RandomAccessibleInterval;
import net.imglib2.img.basictypeaccess.array.ByteArray;
import net.imglib2.img.planar.PlanarImg;
import net.imglib2.img.planar.PlanarImgs;
import net.imglib2.type.numeric.ARGBType;
import net.imglib2.type.numeric.RealType;
import net.imglib2.type.numeric.integer.UnsignedByteType;
import net.imglib2.view.Views;

import java.util.List;

/**
 * ImgLib2 images to the pipeline's {@link RgbaImage} and layers back to ImgLib2: the one place where pixels change
 * representation between the front ends (ImageJ 1.x planes are wrapped as ImgLib2 images without copying, SciJava
 * scripts pass any ImgLib2 image) and the tensors. Planes are any {@link RandomAccessibleInterval} of two
 * dimensions (X, Y), with any minimum (views included), read in flat order: x fastest, then y.
 */
public final class RgbaImgs {
    private RgbaImgs() {
    }

    /**
     * An opaque RGB image from packed ARGB pixels. Their alpha byte is ignored: ImageJ's RGB images do not set it,
     * and ImgLib2's RGB images leave it at 0 or 255 indifferently.
     */
    public static RgbaImage fromArgb(RandomAccessibleInterval<ARGBType> plane) {
        int[] wh = size(plane);
        byte[] out = new byte[wh[0] * wh[1] * 4];
        int i = 0;
        for (ARGBType p : Views.flatIterable(plane)) {
            int v = p.get();
            out[i++] = (byte) (v >> 16);
            out[i++] = (byte) (v >> 8);
            out[i++] = (byte) v;
            out[i++] = (byte) 0xFF;
        }
        return new RgbaImage(wh[0], wh[1], out, true);
    }

    /**
     * An opaque RGB image from one channel: each value scaled to 8 bits, then looked up in a colour table.
     *
     * @param lut 256 packed RGB colours (the image's LUT), or null for grey
     */
    public static RgbaImage fromGrey(RandomAccessibleInterval<? extends RealType<?>> plane, ByteScaling scaling,
            int[] lut) {
        if (lut != null && lut.length != 256) {
            throw new IllegalArgumentException("a colour table has 256 entries, got " + lut.length);
        }
        int[] wh = size(plane);
        byte[] out = new byte[wh[0] * wh[1] * 4];
        int i = 0;
        for (RealType<?> p : Views.flatIterable(plane)) {
            int v = scaling.apply(p.getRealDouble());
            int rgb = lut == null ? v << 16 | v << 8 | v : lut[v];
            out[i++] = (byte) (rgb >> 16);
            out[i++] = (byte) (rgb >> 8);
            out[i++] = (byte) rgb;
            out[i++] = (byte) 0xFF;
        }
        return new RgbaImage(wh[0], wh[1], out, true);
    }

    /**
     * An image from 3 channels (red, green, blue: opaque) or 4 (the 4th is alpha, straight), each scaled to 8 bits
     * by its own rule. The channels must have the same size (their minima may differ).
     */
    public static RgbaImage fromChannels(List<? extends RandomAccessibleInterval<? extends RealType<?>>> channels,
            List<ByteScaling> scalings) {
        int n = channels.size();
        if ((n != 3 && n != 4) || scalings.size() != n) {
            throw new IllegalArgumentException("RGB takes 3 channels and RGBA 4, each with a scaling; got " + n
                    + " channel(s) and " + scalings.size() + " scaling(s)");
        }
        int[] wh = size(channels.get(0));
        byte[] out = new byte[wh[0] * wh[1] * 4];
        for (int c = 0; c < 4; c++) {
            if (c == 3 && n == 3) {
                for (int i = 3; i < out.length; i += 4) {
                    out[i] = (byte) 0xFF;
                }
                break;
            }
            int[] other = size(channels.get(c));
            if (other[0] != wh[0] || other[1] != wh[1]) {
                throw new IllegalArgumentException("channel " + (c + 1) + " is " + other[0] + "x" + other[1]
                        + ", channel 1 is " + wh[0] + "x" + wh[1]);
            }
            ByteScaling s = scalings.get(c);
            int i = c;
            for (RealType<?> p : Views.flatIterable(channels.get(c))) {
                out[i] = (byte) s.apply(p.getRealDouble());
                i += 4;
            }
        }
        return new RgbaImage(wh[0], wh[1], out, true);
    }

    /**
     * Layers as one 8-bit image X, Y, C = 4 (red, green, blue, alpha; straight alpha), Z = layers (Z = 0 the
     * bottom). Planar: plane {@code c + 4 z} is channel c of layer z, ImageJ's hyperstack order, so ImageJ 1.x can
     * show the planes without copying them.
     */
    public static PlanarImg<UnsignedByteType, ByteArray> layers(List<RgbaImage> layers) {
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("no layers");
        }
        int w = layers.get(0).width();
        int h = layers.get(0).height();
        PlanarImg<UnsignedByteType, ByteArray> img = PlanarImgs.unsignedBytes(w, h, 4, layers.size());
        for (int z = 0; z < layers.size(); z++) {
            RgbaImage layer = layers.get(z);
            if (layer.width() != w || layer.height() != h) {
                throw new IllegalArgumentException("layer " + (z + 1) + " is " + layer.width() + "x" + layer.height()
                        + ", layer 1 is " + w + "x" + h);
            }
            byte[] px = layer.data();
            for (int c = 0; c < 4; c++) {
                byte[] plane = img.getPlane(c + 4 * z).getCurrentStorageArray();
                for (int i = 0, j = c; i < plane.length; i++, j += 4) {
                    plane[i] = px[j];
                }
            }
        }
        return img;
    }

    /** Width and height of a 2-D plane, checked to fit one RGBA byte array. */
    private static int[] size(RandomAccessibleInterval<?> plane) {
        if (plane.numDimensions() != 2) {
            throw new IllegalArgumentException("a plane has 2 dimensions (X, Y), got " + dims(plane));
        }
        long w = plane.dimension(0);
        long h = plane.dimension(1);
        if (w < 1 || h < 1 || w * h * 4 > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a " + w + "x" + h + " plane cannot be one RGBA image (at most "
                    + "about 536 million pixels)");
        }
        return new int[] {(int) w, (int) h};
    }

    /** The dimensions of an image, as {@code 640x480x3}. */
    public static String dims(RandomAccessibleInterval<?> img) {
        StringBuilder b = new StringBuilder();
        for (int d = 0; d < img.numDimensions(); d++) {
            b.append(d == 0 ? "" : "x").append(img.dimension(d));
        }
        return b.length() == 0 ? "0-dimensional" : b.toString();
    }
}
