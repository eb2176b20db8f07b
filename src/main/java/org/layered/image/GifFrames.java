package org.layered.image;

import org.w3c.dom.NamedNodeMap;
import org.w3c.dom.Node;

import javax.imageio.ImageReader;
import javax.imageio.metadata.IIOMetadata;
import java.awt.image.Raster;
import java.io.IOException;
import java.util.Arrays;

/**
 * Frame K of a GIF as Pillow shows it after {@code seek(K)} and {@code convert("RGBA")} (python-pillow
 * {@code GifImagePlugin}, default loading strategy): frame 0 is palette image on the logical screen, filled with
 * the frame's transparent index (else index 0) outside the frame; later frames are drawn over the previous result
 * (RGBA when frame 0 had a transparent index, else RGB) after the previous frame's disposal: 2 fills its rectangle
 * with the transparent colour (else the background colour), 3 restores what was there before it was drawn. The
 * disposal method carries over to frames that leave it unspecified, as in Pillow.
 */
final class GifFrames {
    private static final String STREAM = "javax_imageio_gif_stream_1.0";
    private static final String IMAGE = "javax_imageio_gif_image_1.0";

    private GifFrames() {}

    /** One frame's rectangle, palette (RGB ints, null = none), transparent index (-1 = none), disposal. */
    private record Frame(int x, int y, int w, int h, int[] palette, int transparent, int disposal, int[] indices) {
        int rgb(int index) {
            if (palette == null) {
                return index << 16 | index << 8 | index; // Pillow's "L" mode: the index is the grey value
            }
            return index < palette.length ? palette[index] : palette.length > 0 ? palette[0] : 0;
        }
    }

    /** Frame {@code target} (0-based) composed as described above. */
    static RgbaImage compose(ImageReader reader, int target) throws IOException {
        Node stream = tree(reader.getStreamMetadata(), STREAM);
        Node screen = child(stream, "LogicalScreenDescriptor");
        int width = screen == null ? 0 : intAttr(screen, "logicalScreenWidth", 0);
        int height = screen == null ? 0 : intAttr(screen, "logicalScreenHeight", 0);
        Node globalTable = child(stream, "GlobalColorTable");
        int[] global = globalTable == null ? null : palette(globalTable);
        int background = globalTable == null ? 0 : intAttr(globalTable, "backgroundColorIndex", 0);
        Frame[] frames = new Frame[target + 1];
        for (int k = 0; k <= target; k++) {
            frames[k] = frame(reader, k, global);
            width = Math.max(width, frames[k].x + frames[k].w);
            height = Math.max(height, frames[k].y + frames[k].h);
        }
        long pixels = (long) width * height;
        if (pixels > (Integer.MAX_VALUE - 8) / 4) {
            throw new IOException("GIF screen " + width + "x" + height + " is too large");
        }

        // frame 0: a palette image on the whole screen
        Frame f0 = frames[0];
        boolean alpha = f0.transparent >= 0;
        int[] index = new int[(int) pixels];
        Arrays.fill(index, alpha ? f0.transparent : 0);
        paste(f0, index, width);
        if (target == 0) {
            return toRgba(paletteToArgb(index, f0, alpha), width, height);
        }
        // frame 0's disposal acts on the palette image, before it becomes RGB(A) for frame 1
        int disposal = f0.disposal;
        if (disposal == 2) {
            fill(index, width, f0, alpha ? f0.transparent : background);
        } else if (disposal == 3 && alpha) {
            fill(index, width, f0, f0.transparent); // nothing was shown before frame 0: Pillow fills instead
        }
        int[] argb = paletteToArgb(index, f0, alpha);

        int[] pending = null; // the previous frame's disposal, as ARGB over its rectangle
        Frame pendingAt = null;
        for (int k = 1; k <= target; k++) {
            Frame f = frames[k];
            if (f.disposal != 0) {
                disposal = f.disposal;
            }
            if (pending != null) {
                put(argb, width, pendingAt, pending, alpha);
            }
            // what disposing of this frame will restore, decided before it is drawn (Pillow's _seek)
            pending = null;
            pendingAt = f;
            if (disposal == 2) {
                int colour = f.transparent >= 0 ? f.rgb(f.transparent) : f.rgb(background) | 0xFF000000;
                pending = new int[f.w * f.h];
                Arrays.fill(pending, colour);
            } else if (disposal == 3) {
                pending = crop(argb, width, f);
            }
            // draw: opaque pixels of the frame replace the canvas; transparent ones leave it
            for (int y = 0; y < f.h; y++) {
                for (int x = 0; x < f.w; x++) {
                    int i = f.indices[y * f.w + x];
                    if (i != f.transparent) {
                        argb[(f.y + y) * width + f.x + x] = 0xFF000000 | f.rgb(i);
                    }
                }
            }
        }
        return toRgba(argb, width, height);
    }

    private static Frame frame(ImageReader reader, int k, int[] global) throws IOException {
        Node image = tree(reader.getImageMetadata(k), IMAGE);
        Node d = child(image, "ImageDescriptor");
        Node local = child(image, "LocalColorTable");
        Node gce = child(image, "GraphicControlExtension");
        int transparent = -1;
        int disposal = 0;
        if (gce != null) {
            if (Boolean.parseBoolean(attr(gce, "transparentColorFlag"))) {
                transparent = intAttr(gce, "transparentColorIndex", -1);
            }
            disposal = switch (String.valueOf(attr(gce, "disposalMethod"))) {
                case "doNotDispose" -> 1;
                case "restoreToBackgroundColor" -> 2;
                case "restoreToPrevious" -> 3;
                default -> 0;
            };
        }
        Raster r = reader.read(k).getRaster();
        if (Boolean.parseBoolean(attr(d, "interlaceFlag")) && r.getHeight() >= 2 && r.getHeight() <= 4) {
            // the JDK's decoder leaves every row but the first at index 0 for these (checked against ImageJ's)
            throw new IOException("frame " + (k + 1) + " is interlaced and " + r.getHeight() + " rows high, which "
                    + "Java's GIF decoder misreads; save the GIF without interlacing");
        }
        int[] indices = r.getSamples(0, 0, r.getWidth(), r.getHeight(), 0, (int[]) null);
        return new Frame(intAttr(d, "imageLeftPosition", 0), intAttr(d, "imageTopPosition", 0), r.getWidth(),
                r.getHeight(), local != null ? palette(local) : global, transparent, disposal, indices);
    }

    private static void paste(Frame f, int[] index, int width) {
        for (int y = 0; y < f.h; y++) {
            System.arraycopy(f.indices, y * f.w, index, (f.y + y) * width + f.x, f.w);
        }
    }

    private static void fill(int[] index, int width, Frame f, int value) {
        for (int y = 0; y < f.h; y++) {
            Arrays.fill(index, (f.y + y) * width + f.x, (f.y + y) * width + f.x + f.w, value);
        }
    }

    private static int[] paletteToArgb(int[] index, Frame f, boolean alpha) {
        int[] out = new int[index.length];
        for (int i = 0; i < index.length; i++) {
            int v = index[i];
            out[i] = (alpha && v == f.transparent ? 0 : 0xFF000000) | f.rgb(v);
        }
        return out;
    }

    /** Pastes a disposal patch; on an RGB canvas its alpha is dropped (Pillow converts it to the canvas mode). */
    private static void put(int[] argb, int width, Frame f, int[] patch, boolean alpha) {
        for (int y = 0; y < f.h; y++) {
            for (int x = 0; x < f.w; x++) {
                int p = patch[y * f.w + x];
                argb[(f.y + y) * width + f.x + x] = alpha ? p : p | 0xFF000000;
            }
        }
    }

    private static int[] crop(int[] argb, int width, Frame f) {
        int[] out = new int[f.w * f.h];
        for (int y = 0; y < f.h; y++) {
            System.arraycopy(argb, (f.y + y) * width + f.x, out, y * f.w, f.w);
        }
        return out;
    }

    private static RgbaImage toRgba(int[] argb, int w, int h) {
        byte[] out = new byte[argb.length * 4];
        for (int i = 0; i < argb.length; i++) {
            int p = argb[i];
            out[4 * i] = (byte) (p >>> 16);
            out[4 * i + 1] = (byte) (p >>> 8);
            out[4 * i + 2] = (byte) p;
            out[4 * i + 3] = (byte) (p >>> 24);
        }
        return new RgbaImage(w, h, out, true);
    }

    private static int[] palette(Node table) {
        int n = 0;
        for (Node e = table.getFirstChild(); e != null; e = e.getNextSibling()) {
            n = Math.max(n, intAttr(e, "index", 0) + 1);
        }
        int[] p = new int[n];
        for (Node e = table.getFirstChild(); e != null; e = e.getNextSibling()) {
            p[intAttr(e, "index", 0)] = intAttr(e, "red", 0) << 16 | intAttr(e, "green", 0) << 8
                    | intAttr(e, "blue", 0);
        }
        return p;
    }

    private static Node tree(IIOMetadata m, String format) throws IOException {
        if (m == null) {
            throw new IOException("the GIF has no metadata");
        }
        return m.getAsTree(format);
    }

    private static Node child(Node n, String name) {
        for (Node c = n.getFirstChild(); c != null; c = c.getNextSibling()) {
            if (c.getNodeName().equals(name)) {
                return c;
            }
        }
        return null;
    }

    private static String attr(Node n, String name) {
        NamedNodeMap a = n.getAttributes();
        Node v = a == null ? null : a.getNamedItem(name);
        return v == null ? null : v.getNodeValue();
    }

    private static int intAttr(Node n, String name, int fallback) {
        String v = n == null ? null : attr(n, name);
        try {
            return v == null ? fallback : Integer.parseInt(v);
        } catch (NumberFormatException e) {
            return fallback;
        }
    }
}
