package org.layered.export;

import org.layered.image.PixelSize;
import org.layered.image.RgbaImage;
import org.layered.layers.Compositor;
import org.layered.layers.LayerTree;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Layered Photoshop document ({@code .psd}, version 1, 8-bit RGB), written without a library; Photoshop, GIMP,
 * Krita and Photopea open the layers, Bio-Formats (Fiji) and thumbnailers show the merged image.
 *
 * <p>Layout:
 * <ul>
 *   <li>header: {@code 8BPS}, version 1, 4 channels, height, width, depth 8, colour mode 3 (RGB);</li>
 *   <li>empty colour mode data; one image resource, ResolutionInfo (0x03ED): the resolution of the pixel size when
 *       its unit is a length (shown per centimetre for metric units), else 72 ppi;</li>
 *   <li>layer and mask information: layer count stored <em>negative</em> (Photoshop's flag for "the first extra
 *       channel of the merged image is its transparency"), then one record per layer, <em>bottom layer first</em>:
 *       bounds = the whole canvas (so the colour of fully transparent pixels survives too), 4 channels in the
 *       order -1 (transparency), 0 (R), 1 (G), 2 (B), blend mode {@code norm}, opacity 255, visible, no mask, no
 *       blending ranges, the name as a Pascal string (printable ASCII fallback, padded to 4 bytes) plus a
 *       {@code luni} block with the full Unicode name; a layer decomposed again is a group: a divider record
 *       ({@code lsct} 3) below its sub-layers and a folder record ({@code lsct} 1) with the group's name above them,
 *       both without pixels; then each layer's channel data, every channel PackBits
 *       (RLE, compression 1) with one 16-bit byte count per row; straight (non-premultiplied) alpha;</li>
 *   <li>merged image data: RLE, 4 channels R, G, B, A, row byte counts of all channels first. As Photoshop writes
 *       it for transparent documents (and GIMP and psd-tools undo on reading), the colour channels hold the
 *       composite <em>blended over white</em>: {@code round((c*a + 255*(255-a)) / 255)}; the 4th channel is the
 *       composite's alpha. Readers that ignore transparency (Bio-Formats) thus see the composite on white, the way
 *       ImageJ itself flattens transparent PNGs.</li>
 * </ul>
 * PSD version 1 is limited to 30,000 pixels per side and 4 GiB per section; larger stacks are refused with a
 * pointer to ORA or TIFF (no PSB output).
 */
public final class PsdWriter implements LayerExporter {
    /** PSD (version 1) maximum width and height. */
    public static final int MAX_SIDE = 30000;
    /** Longest Pascal layer name, in bytes. */
    static final int MAX_PASCAL_NAME = 255;
    /** Channel ids of each layer record, in the order they are written. */
    static final short[] LAYER_CHANNEL_IDS = {-1, 0, 1, 2};
    private static final long MAX_U32 = 0xFFFFFFFFL;
    /** {@code lsct} section types: an open folder (the group's own record) and the divider that closes it. */
    static final int SECTION_OPEN_FOLDER = 1;
    static final int SECTION_DIVIDER = 3;
    /** The name Photoshop gives a group's divider record. */
    static final String GROUP_END = "</Layer group>";
    /** Photoshop's resolution when the image has none. */
    static final double DEFAULT_PPI = 72;
    /** The largest resolution ResolutionInfo's 16.16 fixed-point field holds. */
    static final double MAX_PPI = 32767;

    @Override
    public String format() {
        return "psd";
    }

    @Override
    public String extension() {
        return "psd";
    }

    @Override
    public void write(LayerDocument document, Path file) throws IOException {
        int w = document.width();
        int h = document.height();
        if (w > MAX_SIDE || h > MAX_SIDE) {
            throw new IllegalArgumentException("a PSD file holds at most " + MAX_SIDE + " pixels per side, these layers"
                    + " are " + w + "x" + h + "; use ORA or TIFF");
        }
        List<Record> records = new ArrayList<>();
        addRecords(document.tree().nodes(), records);
        int n = records.size();
        if (n > Short.MAX_VALUE) {
            throw new IllegalArgumentException("a PSD file holds at most " + Short.MAX_VALUE + " layers, got " + n
                    + "; use ORA or TIFF");
        }

        // Compress everything first: the section lengths precede the data.
        Rle[][] channels = new Rle[n][];
        byte[][] recordBytes = new byte[n][];
        long layerInfo = 2; // layer count
        for (int i = 0; i < n; i++) {
            Record rec = records.get(i);
            channels[i] = new Rle[LAYER_CHANNEL_IDS.length];
            byte[] px = rec.image == null ? null : rec.image.rgba();
            for (int k = 0; k < LAYER_CHANNEL_IDS.length; k++) {
                int offset = LAYER_CHANNEL_IDS[k] < 0 ? 3 : LAYER_CHANNEL_IDS[k];
                channels[i][k] = px == null ? Rle.of(new byte[0], 0, 0) : Rle.of(plane(px, offset), w, h);
                if (channels[i][k].length() > MAX_U32) {
                    throw tooLarge(w, h, n);
                }
            }
            recordBytes[i] = layerRecord(rec.image == null ? 0 : w, rec.image == null ? 0 : h, channels[i], rec);
            layerInfo += recordBytes[i].length;
            for (Rle c : channels[i]) {
                layerInfo += c.length();
            }
        }
        long layerInfoPadded = layerInfo + (layerInfo & 1);
        long layerAndMask = 4 + layerInfoPadded + 4;
        if (layerAndMask > MAX_U32) {
            throw tooLarge(w, h, n);
        }
        Rle[] merged = mergedChannels(document.composite());

        Path part = ExportSupport.partFile(file);
        try {
            try (DataOutputStream out = new DataOutputStream(
                    new BufferedOutputStream(Files.newOutputStream(part), 1 << 16))) {
                // File header
                out.writeBytes("8BPS");
                out.writeShort(1);
                out.write(new byte[6]);
                out.writeShort(4);
                out.writeInt(h);
                out.writeInt(w);
                out.writeShort(8);
                out.writeShort(3);
                // Colour mode data
                out.writeInt(0);
                // Image resources
                byte[] resources = imageResources(document.pixelSize());
                out.writeInt(resources.length);
                out.write(resources);
                // Layer and mask information
                out.writeInt((int) layerAndMask);
                out.writeInt((int) layerInfoPadded);
                out.writeShort(-n); // negative: the merged image's 4th channel is its transparency
                for (byte[] r : recordBytes) {
                    out.write(r);
                }
                for (Rle[] layer : channels) {
                    for (Rle c : layer) {
                        out.writeShort(1); // RLE
                        c.writeCounts(out);
                        c.writeData(out);
                    }
                }
                if ((layerInfo & 1) != 0) {
                    out.write(0);
                }
                out.writeInt(0); // global layer mask info
                // Merged image data: compression, all row counts, then all channel data
                out.writeShort(1);
                for (Rle c : merged) {
                    c.writeCounts(out);
                }
                for (Rle c : merged) {
                    c.writeData(out);
                }
            }
            ExportSupport.commit(part, file);
        } catch (IOException | RuntimeException e) {
            ExportSupport.discard(part);
            throw e;
        }
    }

    /**
     * One layer record: a layer with pixels, or the two pixel-less records of a group — its section divider
     * ({@code lsct} type 3, "bounding section divider") below its layers and its folder record ({@code lsct} type
     * 1, "open folder") above them, as Photoshop stores groups.
     */
    private record Record(String name, RgbaImage image, int sectionType) {}

    /** Records bottom first: a group's divider, its layers, then its folder record. */
    private static void addRecords(List<LayerTree.Node> level, List<Record> out) {
        for (LayerTree.Node node : level) {
            if (node instanceof LayerTree.Group g) {
                out.add(new Record(GROUP_END, null, SECTION_DIVIDER));
                addRecords(g.children(), out);
                out.add(new Record(g.name(), null, SECTION_OPEN_FOLDER));
            } else {
                out.add(new Record(node.name(), ((LayerTree.Leaf) node).image(), 0));
            }
        }
    }

    private static IllegalArgumentException tooLarge(int w, int h, int n) {
        return new IllegalArgumentException(n + " layers of " + w + "x" + h + " exceed the 4 GiB section limit of a"
                + " PSD file; use ORA or TIFF");
    }

    /** One interleaved RGBA channel ({@code offset} 0..3) as a plane. */
    private static byte[] plane(byte[] rgba, int offset) {
        byte[] p = new byte[rgba.length / 4];
        for (int i = 0, j = offset; i < p.length; i++, j += 4) {
            p[i] = rgba[j];
        }
        return p;
    }

    /** R, G, B blended over white, then A: how Photoshop stores the merged image of a transparent document. */
    static Rle[] mergedChannels(RgbaImage composite) {
        int w = composite.width();
        int h = composite.height();
        byte[] px = composite.rgba();
        Rle[] out = new Rle[4];
        byte[] alpha = plane(px, 3);
        for (int c = 0; c < 3; c++) {
            byte[] p = plane(px, c);
            for (int i = 0; i < p.length; i++) {
                p[i] = (byte) overWhite(p[i] & 0xFF, alpha[i] & 0xFF);
            }
            out[c] = Rle.of(p, w, h);
        }
        out[3] = Rle.of(alpha, w, h);
        return out;
    }

    /** {@code round((c*a + 255*(255-a)) / 255)}: straight colour {@code c} with alpha {@code a} over white. */
    public static int overWhite(int c, int a) {
        return Compositor.overWhite(c, a);
    }

    /**
     * The resolution ResolutionInfo (0x03ED) stores, in pixels per inch (its fixed-point field cannot hold more than
     * {@link #MAX_PPI}): from the pixel size when its unit is a length, else Photoshop's default 72 (also when the
     * resolution would exceed the field: pixels smaller than about 0.78 µm).
     *
     * @return {x, y} pixels per inch; {@code stored()} tells whether they came from the pixel size
     */
    public static Resolution resolution(PixelSize p) {
        if (p == null || !p.isPhysical()) {
            return new Resolution(DEFAULT_PPI, DEFAULT_PPI, false, p != null && p.isInch());
        }
        double x = p.xPixelsPerInch();
        double y = p.yPixelsPerInch();
        if (x > MAX_PPI || y > MAX_PPI || x < 1.0 / 65536 || y < 1.0 / 65536) {
            return new Resolution(DEFAULT_PPI, DEFAULT_PPI, false, p.isInch());
        }
        return new Resolution(x, y, true, p.isInch());
    }

    /** What ResolutionInfo holds: pixels per inch, whether they are the image's own, and the unit shown. */
    public record Resolution(double xPpi, double yPpi, boolean stored, boolean inch) {}

    private static byte[] imageResources(PixelSize pixelSize) throws IOException {
        Resolution res = resolution(pixelSize);
        // shown as pixels per inch for inch images and the default, else per centimetre
        int shownUnit = res.stored() && !res.inch() ? 2 : 1;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(32);
        DataOutputStream r = new DataOutputStream(bytes);
        r.writeBytes("8BIM");
        r.writeShort(0x03ED);
        r.writeShort(0); // empty Pascal name, padded to even
        r.writeInt(16);
        r.writeInt((int) Math.round(res.xPpi() * 65536)); // Fixed 16.16, always pixels per inch
        r.writeShort(shownUnit); // hResUnit: 1 = PPI, 2 = PPCM
        r.writeShort(shownUnit); // widthUnit: 1 = inches, 2 = cm
        r.writeInt((int) Math.round(res.yPpi() * 65536));
        r.writeShort(shownUnit);
        r.writeShort(shownUnit);
        return bytes.toByteArray();
    }

    private static byte[] layerRecord(int w, int h, Rle[] channels, Record rec) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
        DataOutputStream r = new DataOutputStream(bytes);
        r.writeInt(0); // top
        r.writeInt(0); // left
        r.writeInt(h); // bottom
        r.writeInt(w); // right
        r.writeShort(channels.length);
        for (int k = 0; k < channels.length; k++) {
            r.writeShort(LAYER_CHANNEL_IDS[k]);
            r.writeInt((int) channels[k].length());
        }
        r.writeBytes("8BIM");
        r.writeBytes("norm");
        r.write(255); // opacity
        r.write(0); // clipping: base
        // visible; bit 3 says bit 4 ("pixel data irrelevant to the document's appearance", set for groups) is valid
        r.write(rec.image() == null ? 0x18 : 0x08);
        r.write(0); // filler

        byte[] pascal = pascalName(rec.name());
        byte[] luni = luni(rec.name());
        byte[] lsct = rec.sectionType() == 0 ? new byte[0] : sectionDivider(rec.sectionType());
        r.writeInt(4 + 4 + pascal.length + luni.length + lsct.length);
        r.writeInt(0); // no layer mask
        r.writeInt(0); // no blending ranges
        r.write(pascal);
        r.write(luni);
        r.write(lsct);
        return bytes.toByteArray();
    }

    /** Additional layer information {@code lsct}: the section type, and the group's blend mode (pass through). */
    static byte[] sectionDivider(int type) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(24);
        DataOutputStream d = new DataOutputStream(bytes);
        d.writeBytes("8BIM");
        d.writeBytes("lsct");
        d.writeInt(12);
        d.writeInt(type);
        d.writeBytes("8BIM");
        d.writeBytes("pass");
        return bytes.toByteArray();
    }

    /** Length byte + printable ASCII, padded with zeros to a multiple of 4 bytes. */
    static byte[] pascalName(String name) {
        byte[] ascii = LayerNames.ascii(name, MAX_PASCAL_NAME).getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[(1 + ascii.length + 3) / 4 * 4];
        out[0] = (byte) ascii.length;
        System.arraycopy(ascii, 0, out, 1, ascii.length);
        return out;
    }

    /** Additional layer information {@code luni}: UTF-16 code unit count + UTF-16BE, padded to 4 bytes. */
    static byte[] luni(String name) throws IOException {
        byte[] utf16 = name.getBytes(StandardCharsets.UTF_16BE);
        int dataLen = (4 + utf16.length + 3) / 4 * 4;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(12 + dataLen);
        DataOutputStream d = new DataOutputStream(bytes);
        d.writeBytes("8BIM");
        d.writeBytes("luni");
        d.writeInt(dataLen);
        d.writeInt(utf16.length / 2);
        d.write(utf16);
        d.write(new byte[dataLen - 4 - utf16.length]);
        return bytes.toByteArray();
    }

    /** One channel, PackBits-compressed row by row. */
    static final class Rle {
        final int[] rowLengths;
        final byte[] data;
        final int size;

        private Rle(int[] rowLengths, byte[] data, int size) {
            this.rowLengths = rowLengths;
            this.data = data;
            this.size = size;
        }

        static Rle of(byte[] plane, int w, int h) {
            int[] rows = new int[h];
            byte[] buf = new byte[Math.max(64, plane.length / 8)];
            int size = 0;
            int worstRow = w + (w + 127) / 128;
            for (int y = 0; y < h; y++) {
                if (buf.length - size < worstRow) {
                    buf = Arrays.copyOf(buf, (int) Math.min(Integer.MAX_VALUE - 8,
                            Math.max((long) buf.length * 2, (long) size + worstRow)));
                }
                int written = packBits(plane, y * w, w, buf, size);
                rows[y] = written;
                size += written;
            }
            return new Rle(rows, buf, size);
        }

        /** Bytes of this channel in a layer: compression field, row counts and data. */
        long length() {
            return 2L + 2L * rowLengths.length + size;
        }

        void writeCounts(DataOutputStream out) throws IOException {
            for (int r : rowLengths) {
                out.writeShort(r);
            }
        }

        void writeData(DataOutputStream out) throws IOException {
            out.write(data, 0, size);
        }
    }

    /**
     * PackBits (Apple TN1023) of {@code src[from .. from+len)} into {@code dst} at {@code at}: runs of 3 to 128 equal
     * bytes become {@code (1-n), b}; everything else literal blocks {@code (n-1), b1..bn} of at most 128 bytes.
     *
     * @return bytes written (at most {@code len + ceil(len/128)})
     */
    static int packBits(byte[] src, int from, int len, byte[] dst, int at) {
        int i = from;
        int end = from + len;
        int o = at;
        while (i < end) {
            int run = 1;
            while (i + run < end && run < 128 && src[i + run] == src[i]) {
                run++;
            }
            if (run >= 3) {
                dst[o++] = (byte) (1 - run);
                dst[o++] = src[i];
                i += run;
                continue;
            }
            int start = i;
            while (i < end && i - start < 128) {
                if (i + 2 < end && src[i] == src[i + 1] && src[i] == src[i + 2]) {
                    break;
                }
                i++;
            }
            int n = i - start;
            dst[o++] = (byte) (n - 1);
            System.arraycopy(src, start, dst, o, n);
            o += n;
        }
        return o - at;
    }
}
