package org.layered.export;

import org.layered.image.PixelSize;
import org.layered.image.RgbaImage;
import org.layered.layers.LayerTree;

import javax.imageio.ImageIO;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * OpenRaster ({@code .ora}, freedesktop.org draft 0.0.5), the layered format GIMP, Krita and MyPaint open natively.
 *
 * <p>Zip layout, in this order:
 * <ol>
 *   <li>{@code mimetype}: first entry, stored (not compressed), no extra field, content {@code image/openraster},
 *       so the media type sits at byte 38 of the file;</li>
 *   <li>{@code stack.xml}: {@code <image version w h xres yres>} (the resolution in pixels per inch from the
 *       pixel size when its unit is a length, else 72) with one {@code <stack>} whose {@code <layer>} elements list
 *       the <em>topmost layer first</em> (the spec's order), each with {@code src}, {@code name}, {@code x=0 y=0},
 *       {@code opacity=1.0}, {@code visibility="visible"} and {@code composite-op="svg:src-over"}; a layer
 *       decomposed again is a nested {@code <stack name="...">} of its sub-layers (isolated, so it composites as
 *       its layers do);</li>
 *   <li>{@code data/layer-1.png .. data/layer-N.png}: full-canvas straight-alpha RGBA PNGs, layer-1 = bottom;
 *       sub-layers are {@code data/layer-2-1.png} etc.;</li>
 *   <li>{@code mergedimage.png}: the full-size composite;</li>
 *   <li>{@code Thumbnails/thumbnail.png}: the composite scaled (premultiplied box filter) to at most 256 px on the
 *       long side, aspect ratio kept.</li>
 * </ol>
 */
public final class OraWriter implements LayerExporter {
    public static final String MIMETYPE = "image/openraster";
    public static final int THUMBNAIL_MAX = 256;
    static final String STACK_XML = "stack.xml";
    static final String MERGED = "mergedimage.png";
    /** The resolution the spec assumes when none is known, in pixels per inch. */
    static final long DEFAULT_PPI = 72;

    @Override
    public String format() {
        return "ora";
    }

    @Override
    public String extension() {
        return "ora";
    }

    @Override
    public void write(LayerDocument document, Path file) throws IOException {
        Path part = ExportSupport.partFile(file);
        try {
            // ISO-8859-1 entry names (all ASCII here) keep the UTF-8 flag out of the headers, like other ORA writers.
            try (OutputStream fo = new BufferedOutputStream(Files.newOutputStream(part), 1 << 16);
                 ZipOutputStream zip = new ZipOutputStream(fo, StandardCharsets.ISO_8859_1)) {
                putStored(zip, "mimetype", MIMETYPE.getBytes(StandardCharsets.US_ASCII));
                putDeflated(zip, STACK_XML, stackXml(document).getBytes(StandardCharsets.UTF_8));
                for (LayerTree.PathLeaf p : document.leaves()) {
                    putStored(zip, layerSrc(p.path()), png(p.leaf().image()));
                }
                putStored(zip, MERGED, png(document.composite()));
                putStored(zip, "Thumbnails/thumbnail.png", png(thumbnail(document.composite(), THUMBNAIL_MAX)));
            }
            ExportSupport.commit(part, file);
        } catch (IOException | RuntimeException e) {
            ExportSupport.discard(part);
            throw e;
        }
    }

    /** The layers and the merged image as for every format, plus the thumbnail. */
    @Override
    public long estimatedBytes(int layers, int w, int h) {
        return LayerExporter.super.estimatedBytes(layers, w, h) + (long) THUMBNAIL_MAX * THUMBNAIL_MAX * 4;
    }

    /** {@code data/layer-2.png} for path 2, {@code data/layer-2-1.png} for path 2.1. */
    static String layerSrc(String path) {
        return "data/" + PngStackWriter.fileName(path);
    }

    /**
     * The resolution in pixels per inch that {@code xres}/{@code yres} carry (the spec's unit, whole numbers): from
     * the pixel size when its unit is a length, else the spec's default 72.
     */
    static long[] resolution(PixelSize p) {
        if (p == null || !p.isPhysical()) {
            return new long[] {DEFAULT_PPI, DEFAULT_PPI};
        }
        return new long[] {Math.max(1, Math.round(p.xPixelsPerInch())), Math.max(1, Math.round(p.yPixelsPerInch()))};
    }

    static String stackXml(LayerDocument document) {
        StringBuilder x = new StringBuilder(256 + 160 * document.layerCount());
        long[] res = resolution(document.pixelSize());
        x.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        x.append("<image version=\"0.0.5\" w=\"").append(document.width()).append("\" h=\"")
                .append(document.height()).append("\" xres=\"").append(res[0]).append("\" yres=\"").append(res[1])
                .append("\">\n");
        x.append("  <stack>\n");
        appendLevel(x, document.tree().nodes(), "", "    ");
        x.append("  </stack>\n");
        x.append("</image>\n");
        return x.toString();
    }

    /** One level of the tree, topmost first (the spec's order); a group is a nested stack. */
    private static void appendLevel(StringBuilder x, List<LayerTree.Node> level, String prefix, String indent) {
        for (int i = level.size() - 1; i >= 0; i--) {
            String path = prefix + (i + 1);
            LayerTree.Node n = level.get(i);
            if (n instanceof LayerTree.Group g) {
                x.append(indent).append("<stack name=\"").append(escape(g.name()))
                        .append("\" x=\"0\" y=\"0\" opacity=\"1.0\" visibility=\"visible\""
                                + " composite-op=\"svg:src-over\" isolation=\"isolate\">\n");
                appendLevel(x, g.children(), path + ".", indent + "  ");
                x.append(indent).append("</stack>\n");
            } else {
                x.append(indent).append("<layer name=\"").append(escape(n.name())).append("\" src=\"")
                        .append(layerSrc(path)).append("\" x=\"0\" y=\"0\" opacity=\"1.0\" visibility=\"visible\""
                                + " composite-op=\"svg:src-over\"/>\n");
            }
        }
    }

    private static String escape(String s) {
        StringBuilder b = new StringBuilder(s.length() + 8);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&apos;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    /**
     * {@code image} scaled so that its long side is at most {@code max} (unchanged when it already fits), by
     * averaging premultiplied colour over each target pixel's source box, so transparent pixels leave no fringes.
     */
    static RgbaImage thumbnail(RgbaImage image, int max) {
        int w = image.width();
        int h = image.height();
        if (w <= max && h <= max) {
            return image;
        }
        int tw;
        int th;
        if (w >= h) {
            tw = max;
            th = (int) Math.max(1, Math.round((double) h * max / w));
        } else {
            th = max;
            tw = (int) Math.max(1, Math.round((double) w * max / h));
        }
        byte[] src = image.rgba();
        byte[] out = new byte[tw * th * 4];
        for (int ty = 0; ty < th; ty++) {
            int y0 = (int) ((long) ty * h / th);
            int y1 = Math.max(y0 + 1, (int) ((long) (ty + 1) * h / th));
            for (int tx = 0; tx < tw; tx++) {
                int x0 = (int) ((long) tx * w / tw);
                int x1 = Math.max(x0 + 1, (int) ((long) (tx + 1) * w / tw));
                long r = 0;
                long g = 0;
                long b = 0;
                long a = 0;
                for (int y = y0; y < y1; y++) {
                    int p = (y * w + x0) * 4;
                    for (int x = x0; x < x1; x++, p += 4) {
                        int pa = src[p + 3] & 0xFF;
                        r += (long) (src[p] & 0xFF) * pa;
                        g += (long) (src[p + 1] & 0xFF) * pa;
                        b += (long) (src[p + 2] & 0xFF) * pa;
                        a += pa;
                    }
                }
                long count = (long) (y1 - y0) * (x1 - x0);
                int o = (ty * tw + tx) * 4;
                if (a > 0) {
                    out[o] = (byte) ((r + a / 2) / a);
                    out[o + 1] = (byte) ((g + a / 2) / a);
                    out[o + 2] = (byte) ((b + a / 2) / a);
                }
                out[o + 3] = (byte) ((a + count / 2) / count);
            }
        }
        return new RgbaImage(tw, th, out);
    }

    private static byte[] png(RgbaImage image) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(Math.max(1024, image.width() * image.height()));
        if (!ImageIO.write(image.toBufferedImage(), "png", bytes)) {
            throw new IOException("no PNG writer available in this Java runtime");
        }
        return bytes.toByteArray();
    }

    private static void putStored(ZipOutputStream zip, String name, byte[] data) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(data.length);
        e.setCompressedSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        e.setCrc(crc.getValue());
        zip.putNextEntry(e);
        zip.write(data);
        zip.closeEntry();
    }

    private static void putDeflated(ZipOutputStream zip, String name, byte[] data) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.DEFLATED);
        zip.putNextEntry(e);
        zip.write(data);
        zip.closeEntry();
    }
}
