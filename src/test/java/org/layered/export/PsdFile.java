package org.layered.export;

import org.layered.image.RgbaImage;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A strict reader of the PSD subset the exporter writes (version 1, 8-bit, RGB), written from the Adobe file format
 * specification for the tests: every length field is checked against what follows, every RLE row is decoded to
 * exactly the row width, and the file must end right after the merged image.
 */
final class PsdFile {
    int channels;
    int width;
    int height;
    int depth;
    int mode;
    short layerCount; // as stored (negative = merged transparency)
    final Map<Integer, byte[]> resources = new LinkedHashMap<>();
    final List<Layer> layers = new ArrayList<>();
    int mergedCompression;
    byte[][] merged; // channel planes, header channel order

    static final class Layer {
        int top;
        int left;
        int bottom;
        int right;
        short[] channelIds;
        long[] channelLengths;
        String blendSig;
        String blendMode;
        int opacity;
        int clipping;
        int flags;
        byte[] pascalName;
        final Map<String, byte[]> tagged = new LinkedHashMap<>();
        byte[][] planes; // decoded, channel order as in the record

        String pascal() {
            return new String(pascalName, StandardCharsets.ISO_8859_1);
        }

        /** The luni block's name, or null. */
        String unicodeName() throws IOException {
            byte[] d = tagged.get("luni");
            if (d == null) {
                return null;
            }
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(d));
            int count = in.readInt();
            byte[] utf16 = new byte[count * 2];
            in.readFully(utf16);
            for (int i = 4 + utf16.length; i < d.length; i++) {
                assertEquals(0, d[i], "luni padding must be zero");
            }
            return new String(utf16, StandardCharsets.UTF_16BE);
        }

        byte[] plane(int id) {
            for (int k = 0; k < channelIds.length; k++) {
                if (channelIds[k] == id) {
                    return planes[k];
                }
            }
            fail("no channel " + id);
            return null;
        }

        /** R, G, B from channels 0..2 and alpha from channel -1. */
        RgbaImage image() {
            int w = right - left;
            int h = bottom - top;
            byte[] px = new byte[w * h * 4];
            int[] ids = {0, 1, 2, -1};
            for (int c = 0; c < 4; c++) {
                byte[] p = plane(ids[c]);
                for (int i = 0; i < w * h; i++) {
                    px[4 * i + c] = p[i];
                }
            }
            return new RgbaImage(w, h, px);
        }
    }

    private static final class Reader {
        final byte[] b;
        int pos;

        Reader(byte[] b) {
            this.b = b;
        }

        int u8() throws EOFException {
            if (pos >= b.length) {
                throw new EOFException("PSD ends at " + pos);
            }
            return b[pos++] & 0xFF;
        }

        int u16() throws EOFException {
            return u8() << 8 | u8();
        }

        short i16() throws EOFException {
            return (short) u16();
        }

        long u32() throws EOFException {
            return (long) u16() << 16 | u16();
        }

        int i32() throws EOFException {
            return (int) u32();
        }

        byte[] bytes(long n) throws EOFException {
            if (n < 0 || pos + n > b.length) {
                throw new EOFException("need " + n + " bytes at " + pos + ", file has " + b.length);
            }
            byte[] out = new byte[(int) n];
            System.arraycopy(b, pos, out, 0, (int) n);
            pos += (int) n;
            return out;
        }

        String ascii(int n) throws EOFException {
            return new String(bytes(n), StandardCharsets.US_ASCII);
        }
    }

    static PsdFile parse(byte[] file) throws IOException {
        PsdFile psd = new PsdFile();
        Reader r = new Reader(file);
        assertEquals("8BPS", r.ascii(4));
        assertEquals(1, r.u16(), "version");
        assertArrayEquals(new byte[6], r.bytes(6), "reserved");
        psd.channels = r.u16();
        psd.height = r.i32();
        psd.width = r.i32();
        psd.depth = r.u16();
        psd.mode = r.u16();

        long colourMode = r.u32();
        r.bytes(colourMode);

        long resLen = r.u32();
        int resEnd = r.pos + (int) resLen;
        while (r.pos < resEnd) {
            assertEquals("8BIM", r.ascii(4));
            int id = r.u16();
            int nameLen = r.u8();
            r.bytes(nameLen);
            if ((1 + nameLen) % 2 != 0) {
                r.u8();
            }
            long size = r.u32();
            psd.resources.put(id, r.bytes(size));
            if (size % 2 != 0) {
                r.u8();
            }
        }
        assertEquals(resEnd, r.pos, "image resources length");

        long lmLen = r.u32();
        int lmEnd = r.pos + (int) lmLen;
        long liLen = r.u32();
        int liStart = r.pos;
        assertEquals(0, liLen % 2, "layer info length must be even");
        psd.layerCount = r.i16();
        int n = Math.abs(psd.layerCount);
        for (int l = 0; l < n; l++) {
            Layer layer = new Layer();
            layer.top = r.i32();
            layer.left = r.i32();
            layer.bottom = r.i32();
            layer.right = r.i32();
            int nc = r.u16();
            layer.channelIds = new short[nc];
            layer.channelLengths = new long[nc];
            for (int c = 0; c < nc; c++) {
                layer.channelIds[c] = r.i16();
                layer.channelLengths[c] = r.u32();
            }
            layer.blendSig = r.ascii(4);
            layer.blendMode = r.ascii(4);
            layer.opacity = r.u8();
            layer.clipping = r.u8();
            layer.flags = r.u8();
            assertEquals(0, r.u8(), "filler");
            long extra = r.u32();
            int extraEnd = r.pos + (int) extra;
            long maskLen = r.u32();
            r.bytes(maskLen);
            long blendLen = r.u32();
            r.bytes(blendLen);
            int nameLen = r.u8();
            layer.pascalName = r.bytes(nameLen);
            int padded = (1 + nameLen + 3) / 4 * 4;
            byte[] pad = r.bytes(padded - 1 - nameLen);
            for (byte p : pad) {
                assertEquals(0, p, "Pascal name padding");
            }
            while (r.pos < extraEnd) {
                assertEquals("8BIM", r.ascii(4), "tagged block signature");
                String key = r.ascii(4);
                long len = r.u32();
                assertEquals(0, len % 2, "tagged block length must be even: " + key);
                layer.tagged.put(key, r.bytes(len));
            }
            assertEquals(extraEnd, r.pos, "layer extra data length");
            psd.layers.add(layer);
        }
        for (Layer layer : psd.layers) {
            int w = layer.right - layer.left;
            int h = layer.bottom - layer.top;
            layer.planes = new byte[layer.channelIds.length][];
            for (int c = 0; c < layer.channelIds.length; c++) {
                int start = r.pos;
                int compression = r.u16();
                assertEquals(1, compression, "layer channel compression (RLE)");
                int[] counts = new int[h];
                for (int y = 0; y < h; y++) {
                    counts[y] = r.u16();
                }
                layer.planes[c] = unpackRows(r, counts, w);
                assertEquals(layer.channelLengths[c], r.pos - start, "channel length of id " + layer.channelIds[c]);
            }
        }
        assertTrue(r.pos <= liStart + liLen, "layer info overrun");
        r.bytes(liStart + liLen - r.pos); // padding
        long globalMask = r.u32();
        r.bytes(globalMask);
        assertEquals(lmEnd, r.pos, "layer and mask section length");

        psd.mergedCompression = r.u16();
        assertEquals(1, psd.mergedCompression, "merged image compression (RLE)");
        int[][] counts = new int[psd.channels][psd.height];
        for (int c = 0; c < psd.channels; c++) {
            for (int y = 0; y < psd.height; y++) {
                counts[c][y] = r.u16();
            }
        }
        psd.merged = new byte[psd.channels][];
        for (int c = 0; c < psd.channels; c++) {
            psd.merged[c] = unpackRows(r, counts[c], psd.width);
        }
        assertEquals(file.length, r.pos, "file must end after the merged image");
        return psd;
    }

    private static byte[] unpackRows(Reader r, int[] counts, int w) throws EOFException {
        byte[] out = new byte[counts.length * w];
        for (int y = 0; y < counts.length; y++) {
            byte[] row = r.bytes(counts[y]);
            int n = unpackBits(row, out, y * w, w);
            assertEquals(w, n, "row " + y + " decodes to the width");
        }
        return out;
    }

    /** PackBits decoder; fails on a row that decodes past {@code w}. */
    static int unpackBits(byte[] src, byte[] dst, int at, int w) {
        int i = 0;
        int o = 0;
        while (i < src.length) {
            int n = src[i++];
            if (n >= 0) {
                assertTrue(o + n + 1 <= w && i + n + 1 <= src.length, "literal overruns the row");
                System.arraycopy(src, i, dst, at + o, n + 1);
                i += n + 1;
                o += n + 1;
            } else if (n != -128) {
                int count = 1 - n;
                assertTrue(o + count <= w && i < src.length, "run overruns the row");
                byte v = src[i++];
                for (int k = 0; k < count; k++) {
                    dst[at + o + k] = v;
                }
                o += count;
            }
        }
        return o;
    }

    /** The merged image as straight RGBA exactly as stored (colour channels still blended over white). */
    RgbaImage mergedAsStored() {
        byte[] px = new byte[width * height * 4];
        for (int c = 0; c < 4; c++) {
            for (int i = 0; i < width * height; i++) {
                px[4 * i + c] = merged[c][i];
            }
        }
        return new RgbaImage(width, height, px);
    }
}
