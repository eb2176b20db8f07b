package org.layered.image;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageOutputStream;
import java.awt.image.BufferedImage;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.DeflaterOutputStream;

/**
 * Image files built byte by byte or with the JDK's writers, for reader tests: PNGs of every colour type and bit
 * depth (with PLTE and tRNS), Adobe CMYK and YCCK JPEGs (with an optional ICC profile), animated GIFs.
 */
public final class TestImageFiles {
    private TestImageFiles() {}

    /**
     * A PNG from raw scanlines (filter type 0 is prepended to each row here).
     *
     * @param colourType 0 grey, 2 RGB, 3 palette, 4 grey + alpha, 6 RGBA
     * @param rows       the unfiltered bytes of each row, big-endian samples, packed for depths below 8
     */
    public static byte[] png(int w, int h, int depth, int colourType, byte[][] rows, byte[] plte, byte[] trns)
            throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream o = new DataOutputStream(b);
        o.write(new byte[] {(byte) 137, 80, 78, 71, 13, 10, 26, 10});
        ByteArrayOutputStream ihdr = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(ihdr);
        d.writeInt(w);
        d.writeInt(h);
        d.write(depth);
        d.write(colourType);
        d.write(new byte[3]);
        chunk(o, "IHDR", ihdr.toByteArray());
        if (plte != null) {
            chunk(o, "PLTE", plte);
        }
        if (trns != null) {
            chunk(o, "tRNS", trns);
        }
        ByteArrayOutputStream z = new ByteArrayOutputStream();
        try (DeflaterOutputStream dz = new DeflaterOutputStream(z)) {
            for (byte[] row : rows) {
                dz.write(0);
                dz.write(row);
            }
        }
        chunk(o, "IDAT", z.toByteArray());
        chunk(o, "IEND", new byte[0]);
        return b.toByteArray();
    }

    private static void chunk(DataOutputStream o, String type, byte[] data) throws IOException {
        o.writeInt(data.length);
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        o.write(t);
        o.write(data);
        CRC32 c = new CRC32();
        c.update(t);
        c.update(data);
        o.writeInt((int) c.getValue());
    }

    /** Big-endian 16-bit samples as bytes. */
    public static byte[] u16(int... v) {
        byte[] out = new byte[v.length * 2];
        for (int i = 0; i < v.length; i++) {
            out[2 * i] = (byte) (v[i] >> 8);
            out[2 * i + 1] = (byte) v[i];
        }
        return out;
    }

    public static byte[] u8(int... v) {
        byte[] out = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (byte) v[i];
        }
        return out;
    }

    /**
     * A 4-component baseline JPEG as Photoshop writes CMYK (Adobe APP14 marker, samples stored inverted) or YCCK:
     * 32x32 pixels in four flat 16x16 quadrants (top-left, top-right, bottom-left, bottom-right) of the given ink
     * values, quality 1.0, so that quadrant centres decode to what was written.
     *
     * @param ycck store as YCCK (transform 2: C, M, Y inverted and YCbCr-coded, K inverted) instead of CMYK
     * @param icc  an ICC profile to embed (APP2), or null
     */
    public static byte[] adobeJpeg(int[][] inks, boolean ycck, byte[] icc) throws IOException {
        WritableRaster r = Raster.createInterleavedRaster(DataBuffer.TYPE_BYTE, 32, 32, 4, null);
        for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 32; x++) {
                int[] ink = inks[(y / 16) * 2 + x / 16];
                int[] s = new int[4];
                if (ycck) {
                    // libjpeg's cmyk_ycck_convert codes 255 - (Adobe's inverted C, M, Y), i.e. the inks, as if R, G,
                    // B (JFIF YCbCr); K is stored as Adobe's inverted value
                    double rr = ink[0];
                    double gg = ink[1];
                    double bb = ink[2];
                    s[0] = clip(Math.round(0.299 * rr + 0.587 * gg + 0.114 * bb));
                    s[1] = clip(Math.round(128 - 0.168736 * rr - 0.331264 * gg + 0.5 * bb));
                    s[2] = clip(Math.round(128 + 0.5 * rr - 0.418688 * gg - 0.081312 * bb));
                    s[3] = 255 - ink[3];
                } else {
                    for (int c = 0; c < 4; c++) {
                        s[c] = 255 - ink[c];
                    }
                }
                r.setPixel(x, y, s);
            }
        }
        ImageWriter w = jdkJpegWriter();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
            w.setOutput(out);
            ImageWriteParam p = w.getDefaultWriteParam();
            p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            p.setCompressionQuality(1f);
            w.write(null, new IIOImage(r, null, null), p);
        } finally {
            w.dispose();
        }
        byte[] jpg = bytes.toByteArray();
        // after SOI: APP14 "Adobe", version 100, flags 0, 0, transform (0 = CMYK, 2 = YCCK); then the profile
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(jpg, 0, 2);
        out.write(new byte[] {(byte) 0xFF, (byte) 0xEE, 0, 14, 'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0,
                (byte) (ycck ? 2 : 0)});
        if (icc != null) {
            byte[] id = "ICC_PROFILE\0".getBytes(StandardCharsets.US_ASCII);
            int len = 2 + id.length + 2 + icc.length;
            out.write(new byte[] {(byte) 0xFF, (byte) 0xE2, (byte) (len >> 8), (byte) len});
            out.write(id);
            out.write(new byte[] {1, 1});
            out.write(icc);
        }
        out.write(jpg, 2, jpg.length - 2);
        return out.toByteArray();
    }

    private static int clip(long v) {
        return (int) Math.max(0, Math.min(255, v));
    }

    private static ImageWriter jdkJpegWriter() {
        for (var it = ImageIO.getImageWritersByFormatName("jpeg"); it.hasNext(); ) {
            ImageWriter w = it.next();
            if (w.getClass().getName().startsWith("com.sun.")) {
                return w;
            }
        }
        throw new IllegalStateException("no JDK JPEG writer");
    }

    /**
     * A minimal ICC v2 output profile for CMYK with a CMYK-to-Lab table (A2B0, 2 grid points per ink): L falls
     * with every ink, a and b follow the usual hues. Enough for a colour management module to convert CMYK.
     */
    public static byte[] cmykProfile() throws IOException {
        // A2B0: CMYK -> Lab; grid order C, M, Y, K with K varying fastest
        double[][] a2b = new double[16][];
        int n = 0;
        for (int c = 0; c < 2; c++) {
            for (int m = 0; m < 2; m++) {
                for (int y = 0; y < 2; y++) {
                    for (int k = 0; k < 2; k++) {
                        a2b[n++] = new double[] {96 * (1 - 0.45 * c) * (1 - 0.55 * m) * (1 - 0.12 * y) * (1 - 0.85 * k),
                                (-30 * c + 60 * m - 5 * y) * (1 - k), (-45 * c - 5 * m + 80 * y) * (1 - k)};
                    }
                }
            }
        }
        byte[] a2b0 = lut16(4, 3, a2b, true);
        // B2A0: Lab -> CMYK, a rough inverse (colour management modules want both directions)
        double[][] b2a = new double[8][];
        n = 0;
        for (int l = 0; l < 2; l++) {
            for (int a = 0; a < 2; a++) {
                for (int b = 0; b < 2; b++) {
                    double k = 1 - l;
                    b2a[n++] = new double[] {(1 - a) * 0.5 * (1 - k), a * 0.5 * (1 - k), b * 0.5 * (1 - k), k};
                }
            }
        }
        byte[] b2a0 = lut16(3, 4, b2a, false);

        ByteArrayOutputStream desc = new ByteArrayOutputStream();
        DataOutputStream dd = new DataOutputStream(desc);
        byte[] name = "Layered test CMYK\0".getBytes(StandardCharsets.US_ASCII);
        dd.writeBytes("desc");
        dd.writeInt(0);
        dd.writeInt(name.length);
        dd.write(name);
        dd.writeInt(0); // no Unicode description
        dd.writeInt(0);
        dd.writeShort(0); // no ScriptCode description
        dd.write(0);
        dd.write(new byte[67]);
        byte[] descTag = desc.toByteArray();

        ByteArrayOutputStream wt = new ByteArrayOutputStream();
        DataOutputStream dw = new DataOutputStream(wt);
        dw.writeBytes("XYZ ");
        dw.writeInt(0);
        dw.writeInt(fixed(0.9642));
        dw.writeInt(fixed(1.0));
        dw.writeInt(fixed(0.8249));
        byte[] wtpt = wt.toByteArray();

        List<Object[]> tags = List.of(new Object[] {"desc", descTag}, new Object[] {"wtpt", wtpt},
                new Object[] {"A2B0", a2b0}, new Object[] {"B2A0", b2a0});
        int offset = 128 + 4 + 12 * tags.size();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        ByteArrayOutputStream table = new ByteArrayOutputStream();
        DataOutputStream dt = new DataOutputStream(table);
        dt.writeInt(tags.size());
        for (Object[] t : tags) {
            byte[] data = (byte[]) t[1];
            dt.writeBytes((String) t[0]);
            dt.writeInt(offset + body.size());
            dt.writeInt(data.length);
            body.write(data);
            while (body.size() % 4 != 0) {
                body.write(0);
            }
        }
        int size = offset + body.size();
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        DataOutputStream h = new DataOutputStream(all);
        h.writeInt(size);
        h.writeInt(0);
        h.writeInt(0x02100000);
        h.writeBytes("prtr");
        h.writeBytes("CMYK");
        h.writeBytes("Lab ");
        h.write(new byte[12]);
        h.writeBytes("acsp");
        h.write(new byte[4 + 4 + 4 + 4 + 8]);
        h.writeInt(0); // perceptual
        h.writeInt(fixed(0.9642));
        h.writeInt(fixed(1.0));
        h.writeInt(fixed(0.8249));
        h.write(new byte[4 + 16 + 28]);
        h.write(table.toByteArray());
        h.write(body.toByteArray());
        return all.toByteArray();
    }

    /**
     * An ICC {@code lut16Type} with 2 grid points per input, identity curves; {@code grid} holds the outputs at
     * each grid point (last input fastest), as Lab (L 0..100, a and b -128..128) when {@code labOut}, else 0..1.
     */
    private static byte[] lut16(int in, int out, double[][] grid, boolean labOut) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(bytes);
        d.writeBytes("mft2");
        d.writeInt(0);
        d.write(in);
        d.write(out);
        d.write(2);
        d.write(0);
        for (int i = 0; i < 9; i++) {
            d.writeInt(i % 4 == 0 ? 0x10000 : 0); // identity matrix (only used for XYZ input)
        }
        d.writeShort(2);
        d.writeShort(2);
        for (int i = 0; i < in; i++) {
            d.writeShort(0);
            d.writeShort(0xFFFF);
        }
        for (double[] point : grid) {
            for (int o = 0; o < out; o++) {
                double v = point[o];
                int enc = !labOut ? (int) Math.round(v * 0xFFFF)
                        : o == 0 ? (int) Math.round(v / 100 * 0xFF00) : (int) Math.round((v + 128) * 256);
                d.writeShort(Math.max(0, Math.min(0xFFFF, enc)));
            }
        }
        for (int i = 0; i < out; i++) {
            d.writeShort(0);
            d.writeShort(0xFFFF);
        }
        return bytes.toByteArray();
    }

    private static int fixed(double v) {
        return (int) Math.round(v * 65536);
    }

    /** One GIF frame: its rectangle, palette indices (row-major), transparent index (-1 none) and disposal. */
    public record GifFrame(int x, int y, int w, int h, int[] indices, int transparent, String disposal) {}

    private static final String STREAM_FORMAT = "javax_imageio_gif_stream_1.0";

    /** An animated GIF whose frames all use {@code palette} (RGB ints), the global colour table. */
    public static byte[] gif(int[] palette, List<GifFrame> frames) throws IOException {
        byte[] r = new byte[palette.length];
        byte[] g = new byte[palette.length];
        byte[] b = new byte[palette.length];
        for (int i = 0; i < palette.length; i++) {
            r[i] = (byte) (palette[i] >> 16);
            g[i] = (byte) (palette[i] >> 8);
            b[i] = (byte) palette[i];
        }
        ImageWriter w = ImageIO.getImageWritersByFormatName("gif").next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
            w.setOutput(out);
            // the palette as the global colour table, the first frame's size as the screen
            IIOMetadata stream = w.getDefaultStreamMetadata(null);
            IIOMetadataNode sroot = new IIOMetadataNode(STREAM_FORMAT);
            IIOMetadataNode screen = new IIOMetadataNode("LogicalScreenDescriptor");
            screen.setAttribute("logicalScreenWidth", String.valueOf(frames.get(0).w()));
            screen.setAttribute("logicalScreenHeight", String.valueOf(frames.get(0).h()));
            screen.setAttribute("colorResolution", "8");
            screen.setAttribute("pixelAspectRatio", "0");
            sroot.appendChild(screen);
            int size = 2;
            while (size < palette.length) {
                size *= 2;
            }
            IIOMetadataNode table = new IIOMetadataNode("GlobalColorTable");
            table.setAttribute("sizeOfGlobalColorTable", String.valueOf(size));
            table.setAttribute("backgroundColorIndex", "0");
            table.setAttribute("sortFlag", "FALSE");
            for (int i = 0; i < size; i++) {
                int c = i < palette.length ? palette[i] : 0;
                IIOMetadataNode e = new IIOMetadataNode("ColorTableEntry");
                e.setAttribute("index", String.valueOf(i));
                e.setAttribute("red", String.valueOf(c >> 16 & 0xFF));
                e.setAttribute("green", String.valueOf(c >> 8 & 0xFF));
                e.setAttribute("blue", String.valueOf(c & 0xFF));
                table.appendChild(e);
            }
            sroot.appendChild(table);
            stream.setFromTree(STREAM_FORMAT, sroot);
            w.prepareWriteSequence(stream);
            for (GifFrame f : frames) {
                IndexColorModel icm = new IndexColorModel(8, palette.length, r, g, b, f.transparent());
                BufferedImage img = new BufferedImage(f.w(), f.h(), BufferedImage.TYPE_BYTE_INDEXED, icm);
                img.getRaster().setSamples(0, 0, f.w(), f.h(), 0, f.indices());
                IIOMetadata m = w.getDefaultImageMetadata(ImageTypeSpecifier.createFromRenderedImage(img), null);
                String format = m.getNativeMetadataFormatName();
                IIOMetadataNode root = (IIOMetadataNode) m.getAsTree(format);
                IIOMetadataNode desc = child(root, "ImageDescriptor");
                desc.setAttribute("imageLeftPosition", String.valueOf(f.x()));
                desc.setAttribute("imageTopPosition", String.valueOf(f.y()));
                desc.setAttribute("interlaceFlag", "FALSE"); // the JDK writer garbles interlaced 2-row frames
                for (int i = root.getLength() - 1; i >= 0; i--) {
                    if (root.item(i).getNodeName().equals("LocalColorTable")) {
                        root.removeChild(root.item(i));
                    }
                }
                IIOMetadataNode gce = child(root, "GraphicControlExtension");
                gce.setAttribute("disposalMethod", f.disposal());
                gce.setAttribute("transparentColorFlag", String.valueOf(f.transparent() >= 0).toUpperCase());
                gce.setAttribute("transparentColorIndex", String.valueOf(Math.max(0, f.transparent())));
                m.setFromTree(format, root);
                w.writeToSequence(new IIOImage(img, null, m), null);
            }
            w.endWriteSequence();
        } finally {
            w.dispose();
        }
        return bytes.toByteArray();
    }

    private static IIOMetadataNode child(IIOMetadataNode root, String name) {
        for (int i = 0; i < root.getLength(); i++) {
            if (root.item(i).getNodeName().equals(name)) {
                return (IIOMetadataNode) root.item(i);
            }
        }
        IIOMetadataNode n = new IIOMetadataNode(name);
        root.appendChild(n);
        return n;
    }
}
