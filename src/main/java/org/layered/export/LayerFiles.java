package org.layered.export;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import ij.ImagePlus;
import org.layered.image.PixelSize;
import org.layered.image.RgbaImage;
import org.layered.io.FileErrors;
import org.layered.layers.LayerTree;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.SAXException;

import javax.imageio.ImageIO;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Reads a saved result back as a {@link LayerDocument}, so that layers edited in another program can be recomposed
 * or decomposed again: a result folder (the layer PNGs its {@code manifest.json} lists, else its
 * {@code layers.ora}, else its {@code layers.tif}), an OpenRaster file (GIMP, Krita and MyPaint write them too:
 * layer offsets, opacity and hidden layers are honoured) or an ImageJ layer hyperstack TIFF. Nesting, names and the
 * pixel size come along where the source has them.
 */
public final class LayerFiles {
    private LayerFiles() {}

    /**
     * Reads {@code in}.
     *
     * @throws IOException naming the file and what is wrong with it
     */
    public static LayerDocument read(Path in) throws IOException {
        if (Files.isDirectory(in)) {
            return readFolder(in);
        }
        if (!Files.exists(in)) {
            throw new IOException(in + ": not found");
        }
        String name = in.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".ora")) {
            return readOra(in);
        }
        if (name.endsWith(".tif") || name.endsWith(".tiff")) {
            return readTiff(in);
        }
        throw new IOException(in + ": not a layer file Layered reads; give a result folder, a .ora or a .tif layer "
                + "hyperstack");
    }

    private static LayerDocument readFolder(Path dir) throws IOException {
        Path manifestFile = dir.resolve(OutputFolder.MANIFEST);
        JsonObject manifest = null;
        if (Files.isRegularFile(manifestFile)) {
            try {
                manifest = JsonParser.parseString(Files.readString(manifestFile, StandardCharsets.UTF_8))
                        .getAsJsonObject();
            } catch (IOException e) {
                throw FileErrors.describe("read", manifestFile, e);
            } catch (RuntimeException e) {
                throw new IOException(manifestFile + ": not a Layered manifest (" + e.getMessage() + ")", e);
            }
        }
        PixelSize pixelSize = manifest == null ? null : Manifest.pixelSize(manifest);
        if (manifest != null) {
            LayerTree tree = pngTree(dir, manifest);
            if (tree != null) {
                return LayerDocument.of(tree, pixelSize);
            }
        }
        for (String file : new String[] {"layers.ora", "layers.tif"}) {
            if (Files.isRegularFile(dir.resolve(file))) {
                LayerDocument d = read(dir.resolve(file));
                return pixelSize == null ? d : d.withPixelSize(pixelSize);
            }
        }
        throw new IOException(dir + " holds no layers Layered can read: it needs the layer PNGs with their "
                + "manifest.json, layers.ora or layers.tif");
    }

    /** The PNG layers a manifest lists (its layer tree, or the flat list), or null when it lists none. */
    private static LayerTree pngTree(Path dir, JsonObject manifest) throws IOException {
        if (manifest.has("layer_tree") && manifest.get("layer_tree").isJsonArray()) {
            List<LayerTree.Node> nodes = pngNodes(dir, manifest.getAsJsonArray("layer_tree"));
            return nodes == null ? null : new LayerTree(nodes);
        }
        if (!manifest.has("layers_bottom_to_top")) {
            return null;
        }
        List<RgbaImage> layers = new ArrayList<>();
        for (JsonElement e : manifest.getAsJsonArray("layers_bottom_to_top")) {
            String f = e.getAsString();
            if (!f.endsWith(".png") || f.contains("/") || f.contains("\\")) {
                return null; // the layers are inside the layered documents
            }
            layers.add(png(dir.resolve(f)));
        }
        return layers.isEmpty() ? null : LayerTree.flat(layers, null);
    }

    private static List<LayerTree.Node> pngNodes(Path dir, JsonArray level) throws IOException {
        List<LayerTree.Node> out = new ArrayList<>();
        for (JsonElement e : level) {
            JsonObject o = e.getAsJsonObject();
            String name = o.has("name") ? o.get("name").getAsString() : "";
            if (o.has("layers")) {
                List<LayerTree.Node> children = pngNodes(dir, o.getAsJsonArray("layers"));
                if (children == null) {
                    return null;
                }
                out.add(new LayerTree.Group(name, children));
            } else if (o.has("file")) {
                String f = o.get("file").getAsString();
                if (f.contains("/") || f.contains("\\")) {
                    throw new IOException(dir.resolve(OutputFolder.MANIFEST) + ": layer file '" + f
                            + "' is not in the folder");
                }
                out.add(new LayerTree.Leaf(name, png(dir.resolve(f))));
            } else {
                return null; // saved without PNGs
            }
        }
        return out;
    }

    private static RgbaImage png(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException(file + ": layer file not found (the manifest lists it)");
        }
        return PngLayerWriter.read(file);
    }

    // ---- OpenRaster

    private static LayerDocument readOra(Path file) throws IOException {
        try (ZipFile zip = new ZipFile(file.toFile())) {
            ZipEntry stackXml = zip.getEntry(OraWriter.STACK_XML);
            if (stackXml == null) {
                throw new IOException(file + ": not an OpenRaster file (no stack.xml)");
            }
            Element image = xml(zip, stackXml, file).getDocumentElement();
            int w = intAttr(image, "w", file);
            int h = intAttr(image, "h", file);
            Element top = firstChild(image, "stack");
            if (top == null) {
                throw new IOException(file + ": stack.xml has no stack");
            }
            Map<String, RgbaImage> cache = new HashMap<>();
            List<LayerTree.Node> nodes = oraLevel(zip, top, w, h, file, cache);
            if (nodes.isEmpty()) {
                throw new IOException(file + ": no visible layers");
            }
            return LayerDocument.of(new LayerTree(nodes), oraResolution(image));
        } catch (java.util.zip.ZipException e) {
            throw new IOException(file + ": not an OpenRaster file (not a ZIP archive: " + e.getMessage() + ")", e);
        } catch (IOException e) {
            if (e.getMessage() != null && e.getMessage().startsWith(file.toString())) {
                throw e;
            }
            throw FileErrors.describe("read", file, e);
        }
    }

    /** A stack's children, bottom to top (stack.xml lists them top first); hidden ones left out. */
    private static List<LayerTree.Node> oraLevel(ZipFile zip, Element stack, int w, int h, Path file,
            Map<String, RgbaImage> cache) throws IOException {
        List<Element> children = new ArrayList<>();
        for (Node n = stack.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && (e.getTagName().equals("layer") || e.getTagName().equals("stack"))) {
                children.add(e);
            }
        }
        List<LayerTree.Node> out = new ArrayList<>();
        for (int i = children.size() - 1; i >= 0; i--) {
            Element e = children.get(i);
            if ("hidden".equals(e.getAttribute("visibility"))) {
                continue;
            }
            String op = e.getAttribute("composite-op");
            if (!op.isEmpty() && !op.equals("svg:src-over")) {
                throw new IOException(file + ": layer '" + e.getAttribute("name") + "' uses blend mode " + op
                        + "; Layered composites normal (src-over) layers only");
            }
            double opacity = e.getAttribute("opacity").isEmpty() ? 1 : Double.parseDouble(e.getAttribute("opacity"));
            int x = e.getAttribute("x").isEmpty() ? 0 : Integer.parseInt(e.getAttribute("x").strip());
            int y = e.getAttribute("y").isEmpty() ? 0 : Integer.parseInt(e.getAttribute("y").strip());
            String name = e.getAttribute("name");
            if (e.getTagName().equals("stack")) {
                List<LayerTree.Node> sub = oraLevel(zip, e, w, h, file, cache);
                if (!sub.isEmpty()) {
                    out.add(opacity == 1 ? new LayerTree.Group(name, sub) : new LayerTree.Group(name,
                            faded(sub, opacity)));
                }
                continue;
            }
            String src = e.getAttribute("src");
            ZipEntry entry = zip.getEntry(src);
            if (entry == null) {
                throw new IOException(file + ": layer '" + name + "' names " + src + ", which is not in the file");
            }
            RgbaImage pixels = cache.containsKey(src) ? cache.get(src) : decode(zip, entry, file);
            cache.put(src, pixels);
            out.add(new LayerTree.Leaf(name, placed(pixels, x, y, w, h, opacity)));
        }
        return out;
    }

    private static List<LayerTree.Node> faded(List<LayerTree.Node> nodes, double opacity) {
        List<LayerTree.Node> out = new ArrayList<>();
        for (LayerTree.Node n : nodes) {
            if (n instanceof LayerTree.Group g) {
                out.add(new LayerTree.Group(g.name(), faded(g.children(), opacity)));
            } else {
                RgbaImage img = ((LayerTree.Leaf) n).image();
                out.add(new LayerTree.Leaf(n.name(), placed(img, 0, 0, img.width(), img.height(), opacity)));
            }
        }
        return out;
    }

    /** {@code layer} at (x, y) on a transparent w x h canvas, its alpha scaled by {@code opacity}. */
    static RgbaImage placed(RgbaImage layer, int x, int y, int w, int h, double opacity) {
        if (x == 0 && y == 0 && layer.width() == w && layer.height() == h && opacity >= 1) {
            return layer;
        }
        byte[] src = layer.rgba();
        byte[] out = new byte[w * h * 4];
        double o = Math.max(0, Math.min(1, opacity));
        for (int ly = 0; ly < layer.height(); ly++) {
            int cy = ly + y;
            if (cy < 0 || cy >= h) {
                continue;
            }
            for (int lx = 0; lx < layer.width(); lx++) {
                int cx = lx + x;
                if (cx < 0 || cx >= w) {
                    continue;
                }
                int s = 4 * (ly * layer.width() + lx);
                int d = 4 * (cy * w + cx);
                out[d] = src[s];
                out[d + 1] = src[s + 1];
                out[d + 2] = src[s + 2];
                out[d + 3] = (byte) Math.round((src[s + 3] & 0xFF) * o);
            }
        }
        return new RgbaImage(w, h, out);
    }

    private static RgbaImage decode(ZipFile zip, ZipEntry entry, Path file) throws IOException {
        try (InputStream in = zip.getInputStream(entry)) {
            BufferedImage img = ImageIO.read(in);
            if (img == null) {
                throw new IOException(file + ": " + entry.getName() + " is not an image Layered can read");
            }
            return RgbaImage.fromBufferedImage(img);
        }
    }

    /** xres/yres (pixels per inch) as a pixel size in inches; none when absent or the spec's default 72. */
    private static PixelSize oraResolution(Element image) {
        try {
            double x = Double.parseDouble(image.getAttribute("xres"));
            double y = Double.parseDouble(image.getAttribute("yres"));
            if (x > 0 && y > 0 && !(x == OraWriter.DEFAULT_PPI && y == OraWriter.DEFAULT_PPI)) {
                return PixelSize.ofPixelsPerInch(x, y, "inch");
            }
        } catch (NumberFormatException e) {
            // absent or malformed: no resolution
        }
        return null;
    }

    private static Document xml(ZipFile zip, ZipEntry entry, Path file) throws IOException {
        try (InputStream in = zip.getInputStream(entry)) {
            byte[] bytes = in.readAllBytes();
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            return f.newDocumentBuilder().parse(new ByteArrayInputStream(bytes));
        } catch (ParserConfigurationException | SAXException e) {
            throw new IOException(file + ": stack.xml cannot be read: " + e.getMessage(), e);
        }
    }

    private static Element firstChild(Element parent, String tag) {
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals(tag)) {
                return e;
            }
        }
        return null;
    }

    private static int intAttr(Element e, String name, Path file) throws IOException {
        try {
            int v = Integer.parseInt(e.getAttribute(name).strip());
            if (v < 1) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException ex) {
            throw new IOException(file + ": stack.xml has no valid image " + name + " ('" + e.getAttribute(name)
                    + "')");
        }
    }

    // ---- ImageJ TIFF

    private static LayerDocument readTiff(Path file) throws IOException {
        if (ImageJTiffs.info(file).length == 0) {
            throw new IOException(file + ": not a TIFF that can be read");
        }
        ImagePlus imp = ImageJTiffs.open(file);
        try {
            return TiffStackWriter.document(imp);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        } finally {
            imp.flush();
        }
    }
}
