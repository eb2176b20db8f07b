package org.layered.image;

import java.awt.color.ColorSpace;
import java.awt.color.ICC_ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorConvertOp;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.PackedColorModel;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.util.List;

/**
 * Decoded pixels to the 8-bit RGBA values of Pillow's {@code Image.open(f).convert("RGBA")}, the way upstream reads
 * its inputs. The samples are taken as stored; Java2D's {@code getRGB} is never used, because it treats grey as
 * linear light and brightens it (stored 53 becomes 126). Pillow's rules (python-pillow {@code src/libImaging}:
 * {@code Unpack.c}, {@code Convert.c}; {@code PngImagePlugin._MODES}):
 * <ul>
 *   <li>grey {@code L}: R = G = B = L, A = 255 ({@code l2rgb}); grey + alpha {@code LA} ({@code la2rgb}); 1-, 2- and
 *       4-bit grey is unpacked to 8 bits as {@code v * 255 / (2^bits - 1)} ({@code unpackL2}: {@code v * 0x55},
 *       {@code unpackL4}: {@code v * 0x11});</li>
 *   <li>palette {@code P}: the palette entry, with alpha from {@code tRNS} (or GIF's transparent index), 255
 *       elsewhere ({@code putpalettealphas});</li>
 *   <li>16-bit RGB / RGBA / grey + alpha PNG (and TIFF): the most significant byte of each sample
 *       ({@code unpackRGB16B}, {@code unpackRGBA16B}, {@code unpackRGBALA16B}: {@code in[0], in[2], ...});</li>
 *   <li>CMYK: {@code cmyk2rgb}, {@code R = 255 - K - C * (255 - K) / 255} rounded as {@code MULDIV255} and
 *       clipped (likewise G from M, B from Y), on the ink values Pillow holds (JPEGs store them inverted, Adobe's
 *       convention, which the JPEG reader undoes); premultiplied ("associated") alpha is divided out as
 *       {@code rgba2rgbA} does, {@code 255 * c / a} truncated.</li>
 * </ul>
 * Deliberate deviations, each stated as a note: 16-bit grey is scaled to 8 bits by the same high-byte rule (Pillow
 * clips {@code I;16} to 255 in {@code I16L_L}, so 6000 becomes 255 there and 23 here); a CMYK image with an
 * embedded ICC profile is converted through that profile (Pillow ignores the profile); colour values of 16-bit
 * images with a {@code tRNS} key colour are matched on all 16 bits, as the PNG specification says (Pillow compares
 * the reduced value with the key's low byte). Embedded ICC profiles of RGB and grey images are ignored, as Pillow
 * does.
 */
final class PillowRgba {
    private PillowRgba() {}

    /** {@code image} as straight-alpha RGBA; conversions that deviate from Pillow or lose depth are added to notes. */
    static RgbaImage convert(BufferedImage image, List<String> notes) {
        ColorModel cm = image.getColorModel();
        Raster raster = image.getRaster();
        int w = image.getWidth();
        int h = image.getHeight();
        byte[] out = new byte[Math.multiplyExact(Math.multiplyExact(w, h), 4)];
        if (cm instanceof IndexColorModel icm) {
            palette(icm, raster, out);
        } else if (cm instanceof PackedColorModel) {
            packed(image, out);
        } else if (cm instanceof ComponentColorModel) {
            components(cm, raster, out, notes);
        } else {
            throw new IllegalArgumentException("unsupported pixel layout (" + cm.getClass().getSimpleName() + ")");
        }
        return new RgbaImage(w, h, out, true);
    }

    private static void palette(IndexColorModel icm, Raster raster, byte[] out) {
        int n = icm.getMapSize();
        int[] lut = new int[n];
        for (int i = 0; i < n; i++) {
            lut[i] = icm.getRGB(i);
        }
        int w = raster.getWidth();
        int[] row = new int[w];
        for (int y = 0, o = 0; y < raster.getHeight(); y++) {
            raster.getSamples(0, y, w, 1, 0, row);
            for (int x = 0; x < w; x++, o += 4) {
                int i = row[x];
                int p = i >= 0 && i < n ? lut[i] : 0xFF000000; // an index past the palette reads as opaque black
                out[o] = (byte) (p >>> 16);
                out[o + 1] = (byte) (p >>> 8);
                out[o + 2] = (byte) p;
                out[o + 3] = (byte) (p >>> 24);
            }
        }
    }

    /** Bit fields (BMP): each field scaled to 8 bits by the colour model, which is sRGB, so no gamma is involved. */
    private static void packed(BufferedImage image, byte[] out) {
        ColorModel cm = image.getColorModel();
        Raster raster = image.getRaster();
        int w = image.getWidth();
        Object pixel = null;
        for (int y = 0, o = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < w; x++, o += 4) {
                pixel = raster.getDataElements(x, y, pixel);
                int p = cm.getRGB(pixel);
                out[o] = (byte) (p >>> 16);
                out[o + 1] = (byte) (p >>> 8);
                out[o + 2] = (byte) p;
                out[o + 3] = (byte) (p >>> 24);
            }
        }
    }

    private static void components(ColorModel cm, Raster raster, byte[] out, List<String> notes) {
        int type = raster.getDataBuffer().getDataType();
        if (type == DataBuffer.TYPE_FLOAT || type == DataBuffer.TYPE_DOUBLE) {
            throw new IllegalArgumentException("floating-point samples are not supported; save it as 8- or 16-bit");
        }
        if (type == DataBuffer.TYPE_SHORT) {
            throw new IllegalArgumentException("signed 16-bit samples are not supported; save it as unsigned 8- or "
                    + "16-bit");
        }
        int bits = raster.getSampleModel().getSampleSize(0);
        if (bits > 16) {
            throw new IllegalArgumentException(bits + "-bit samples are not supported; save it as 8- or 16-bit");
        }
        ColorSpace cs = cm.getColorSpace();
        int colours = cm.getNumColorComponents();
        boolean alpha = cm.hasAlpha();
        switch (cs.getType()) {
            case ColorSpace.TYPE_GRAY -> {
                samples(raster, bits, colours, alpha, cm.isAlphaPremultiplied(), out, true);
                if (bits == 16) {
                    notes.add("16-bit grey scaled to 8 bits (value / 256); Pillow would clip values above 255");
                }
            }
            case ColorSpace.TYPE_RGB -> {
                samples(raster, bits, colours, alpha, cm.isAlphaPremultiplied(), out, false);
                if (bits == 16) {
                    notes.add("16-bit samples reduced to 8 bits (value / 256), as Pillow does");
                }
            }
            case ColorSpace.TYPE_CMYK -> cmyk(cs, raster, bits, out, notes);
            default -> throw new IllegalArgumentException("unsupported colour space (" + colourSpaceName(cs.getType())
                    + "); save it as RGB");
        }
    }

    /** Grey (+ alpha) or RGB (+ alpha) samples, {@code bits} each, to 8-bit RGBA. */
    private static void samples(Raster raster, int bits, int colours, boolean alpha, boolean premultiplied, byte[] out,
            boolean grey) {
        int w = raster.getWidth();
        int bands = colours + (alpha ? 1 : 0);
        int[] row = new int[w * raster.getNumBands()];
        int stride = raster.getNumBands();
        for (int y = 0, o = 0; y < raster.getHeight(); y++) {
            raster.getPixels(0, y, w, 1, row);
            for (int x = 0, i = 0; x < w; x++, i += stride, o += 4) {
                int r = to8(row[i], bits);
                int g = grey ? r : to8(row[i + 1], bits);
                int b = grey ? r : to8(row[i + 2], bits);
                int a = alpha ? to8(row[i + bands - 1], bits) : 255;
                if (premultiplied && a != 0 && a != 255) {
                    r = Math.min(255, 255 * r / a);
                    g = Math.min(255, 255 * g / a);
                    b = Math.min(255, 255 * b / a);
                }
                out[o] = (byte) r;
                out[o + 1] = (byte) g;
                out[o + 2] = (byte) b;
                out[o + 3] = (byte) a;
            }
        }
    }

    /** A sample of {@code bits} bits as 8 bits: as is, the high byte of 16, or scaled up from fewer. */
    static int to8(int v, int bits) {
        if (bits == 8) {
            return v;
        }
        if (bits == 16) {
            return v >>> 8;
        }
        return v * 255 / ((1 << bits) - 1);
    }

    /** 8-bit CMYK ink values (0 = no ink) to RGBA, as {@link #cmyk} does. */
    static RgbaImage fromCmyk(Raster inks, ColorSpace profile, List<String> notes) {
        byte[] out = new byte[Math.multiplyExact(Math.multiplyExact(inks.getWidth(), inks.getHeight()), 4)];
        cmyk(profile, inks, 8, out, notes);
        return new RgbaImage(inks.getWidth(), inks.getHeight(), out, true);
    }

    /**
     * CMYK ink values (0 = no ink) to RGB: through {@code cs}'s ICC profile when the reader attached one from the
     * file, else Pillow's {@code cmyk2rgb}.
     */
    private static void cmyk(ColorSpace cs, Raster raster, int bits, byte[] out, List<String> notes) {
        int w = raster.getWidth();
        int h = raster.getHeight();
        if (cs instanceof ICC_ColorSpace && bits == 8 && !ImageReaders.isGenericCmyk(cs)) {
            BufferedImage rgb = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
            WritableRaster dst = rgb.getRaster();
            new ColorConvertOp(cs, rgb.getColorModel().getColorSpace(), null).filter(raster, dst);
            int[] row = new int[w * 3];
            for (int y = 0, o = 0; y < h; y++) {
                dst.getPixels(0, y, w, 1, row);
                for (int x = 0; x < w; x++, o += 4) {
                    out[o] = (byte) row[3 * x];
                    out[o + 1] = (byte) row[3 * x + 1];
                    out[o + 2] = (byte) row[3 * x + 2];
                    out[o + 3] = (byte) 255;
                }
            }
            notes.add("CMYK converted to RGB through the file's embedded ICC profile (Pillow ignores the profile)");
            return;
        }
        int[] row = new int[w * 4];
        for (int y = 0, o = 0; y < h; y++) {
            raster.getPixels(0, y, w, 1, row);
            for (int x = 0; x < w; x++, o += 4) {
                int nk = 255 - to8(row[4 * x + 3], bits);
                out[o] = (byte) cmykChannel(to8(row[4 * x], bits), nk);
                out[o + 1] = (byte) cmykChannel(to8(row[4 * x + 1], bits), nk);
                out[o + 2] = (byte) cmykChannel(to8(row[4 * x + 2], bits), nk);
                out[o + 3] = (byte) 255;
            }
        }
        notes.add("CMYK converted to RGB with Pillow's formula (the file has no ICC profile)");
    }

    /** Convert.c {@code CLIP8(nk - MULDIV255(ink, nk, tmp))}. */
    static int cmykChannel(int ink, int nk) {
        int tmp = ink * nk + 128;
        int v = nk - (((tmp >> 8) + tmp) >> 8);
        return Math.max(0, Math.min(255, v));
    }

    private static String colourSpaceName(int type) {
        return switch (type) {
            case ColorSpace.TYPE_YCbCr -> "YCbCr";
            case ColorSpace.TYPE_Lab -> "Lab";
            case ColorSpace.TYPE_XYZ -> "XYZ";
            case ColorSpace.TYPE_HSV -> "HSV";
            default -> "colour space type " + type;
        };
    }
}
