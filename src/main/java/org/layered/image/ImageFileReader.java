package org.layered.image;

import org.layered.io.FileErrors;

import javax.imageio.IIOException;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.stream.ImageInputStream;
import org.w3c.dom.Node;

import javax.imageio.metadata.IIOMetadata;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.awt.image.SampleModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Reads an image file into the RGBA values upstream gets from Pillow's {@code Image.open(f).convert("RGBA")} (the
 * rules and the deviations are listed in {@link PillowRgba}; GIF frames in {@link GifFrames}). Formats are
 * recognised by content: PNG, JPEG (also CMYK and YCCK), GIF, BMP, TIFF, PBM/PGM/PPM. Before anything is decoded
 * the size is checked against the largest image Layered can hold and the Java heap that is free, so a huge file
 * gets a sentence instead of an {@code OutOfMemoryError}. Every failure is an {@link IOException} whose message
 * names the file and the cause.
 */
public final class ImageFileReader {
    /** The formats, for messages. */
    public static final String FORMATS = "PNG, JPEG, GIF, BMP, TIFF, PGM/PPM";
    /** The most pixels one image may have: its RGBA bytes must fit one Java array. */
    public static final long MAX_PIXELS = (Integer.MAX_VALUE - 8) / 4;

    private ImageFileReader() {}

    /** The first frame of {@code file}. */
    public static DecodedImage read(Path file) throws IOException {
        return read(file, 1);
    }

    /**
     * Frame {@code frame} (1-based) of {@code file}.
     *
     * @throws IllegalArgumentException when the file has no such frame (the message says how many it has)
     * @throws IOException              naming the file and the cause when it cannot be read
     */
    public static DecodedImage read(Path file, int frame) throws IOException {
        checkFile(file);
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            ImageReader reader = readerFor(file, in);
            try {
                TruncationWatch watch = new TruncationWatch();
                reader.addIIOReadWarningListener(watch);
                reader.setInput(in, false, false);
                int frames = reader.getNumImages(true);
                if (frames < 1) {
                    throw new IOException(file + ": the file holds no image (damaged?)");
                }
                if (frame < 1 || frame > frames) {
                    throw new IllegalArgumentException(file.getFileName() + " has " + frames + " frame"
                            + (frames == 1 ? "" : "s") + "; there is no frame " + frame);
                }
                int k = frame - 1;
                String format = reader.getFormatName().toLowerCase(Locale.ROOT);
                boolean gif = format.equals("gif");
                checkSize(file, reader.getWidth(k), reader.getHeight(k), gif ? 16 : 4 + bytesPerPixel(reader, k));
                List<String> notes = new ArrayList<>();
                if (frames > 1) {
                    notes.add("frame " + frame + " of " + frames);
                }
                RgbaImage image;
                if (gif) {
                    image = GifFrames.compose(reader, k);
                } else if (isCmykJpeg(reader, k)) {
                    // decoded as stored: the reader's own CMYK conversion is not Pillow's
                    Raster stored = reader.readRaster(k, null);
                    watch.check();
                    ColorSpace profile = reader.getRawImageType(k).getColorModel().getColorSpace();
                    image = PillowRgba.fromCmyk(JpegInks.inks(stored, adobeTransform(reader, k) > 0), profile,
                            notes);
                } else {
                    BufferedImage decoded = reader.read(k, param(reader, k));
                    watch.check();
                    try {
                        image = PillowRgba.convert(decoded, notes);
                    } catch (IllegalArgumentException e) {
                        throw new IOException(file + ": " + e.getMessage(), e);
                    }
                }
                return new DecodedImage(image, format, frame, frames, notes, pixelSize(reader, k));
            } finally {
                reader.dispose();
            }
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (OutOfMemoryError e) {
            throw new IOException(file + ": not enough Java heap to read it; " + MORE_MEMORY, e);
        } catch (IOException | RuntimeException e) {
            throw failure(file, e);
        }
    }

    /** {@code e} as a message naming the file; decoders throw unchecked exceptions on some damaged data. */
    private static IOException failure(Path file, Exception e) {
        if (e instanceof IOException io && io.getMessage() != null && io.getMessage().startsWith(file.toString())) {
            return io;
        }
        return new IOException(file + ": cannot read the image" + (e instanceof RuntimeException ? " (damaged file?)"
                : "") + ": " + FileErrors.cause(e), e);
    }

    /** How many frames (pages) {@code file} holds. */
    public static int frameCount(Path file) throws IOException {
        checkFile(file);
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            ImageReader reader = readerFor(file, in);
            try {
                reader.setInput(in, false, true);
                int n = reader.getNumImages(true);
                if (n < 1) {
                    throw new IOException(file + ": the file holds no image (damaged?)");
                }
                return n;
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            throw failure(file, e);
        }
    }

    private static final String MORE_MEMORY = "give Java more memory (java -Xmx8g ..., or Edit > Options > Memory & "
            + "Threads in Fiji) or downscale the image";

    /**
     * Refuses images Layered cannot hold ({@link #MAX_PIXELS}) and images whose decoding needs more heap than is
     * free ({@code bytesPerPixel} covers the decoded raster and the RGBA copy).
     */
    static void checkSize(Path file, int w, int h, int bytesPerPixel) throws IOException {
        long pixels = (long) w * h;
        if (w < 1 || h < 1) {
            throw new IOException(file + ": the image has no pixels (" + w + "x" + h + ")");
        }
        if (pixels > MAX_PIXELS) {
            throw new IOException(String.format(Locale.ROOT, "%s is %dx%d (%.0f megapixels): too large; Layered "
                    + "reads images of up to %d megapixels (e.g. 23000x23000); downscale it first", file, w, h,
                    pixels / 1e6, MAX_PIXELS / 1_000_000));
        }
        long need = pixels * bytesPerPixel;
        if (need > freeHeap()) {
            System.gc(); // garbage may be all that stands in the way
            long free = freeHeap();
            if (need > free) {
                throw new IOException(String.format(Locale.ROOT, "%s is %dx%d: reading it needs about %.1f GiB of "
                        + "Java heap, %.1f GiB is free; %s", file, w, h, need / 1073741824.0, free / 1073741824.0,
                        MORE_MEMORY));
            }
        }
    }

    static long freeHeap() {
        Runtime rt = Runtime.getRuntime();
        return rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
    }

    private static void checkFile(Path file) throws IOException {
        if (Files.isDirectory(file)) {
            throw new IOException(file + " is a folder, not an image file");
        }
        if (!Files.exists(file)) {
            throw new IOException(file + ": image file not found");
        }
        if (!Files.isReadable(file)) {
            throw new IOException(file + ": cannot read it: permission denied");
        }
    }

    private static ImageReader readerFor(Path file, ImageInputStream in) throws IOException {
        if (in == null) {
            throw new IOException(file + ": cannot open it");
        }
        ImageReader reader = ImageReaders.forInput(in);
        if (reader == null) {
            throw new IOException(file + ": not an image Layered can read (" + FORMATS + ")");
        }
        return reader;
    }

    /** The decoded raster's bytes per pixel, from the reader's raw type (4 when it does not say). */
    private static int bytesPerPixel(ImageReader reader, int k) {
        try {
            ImageTypeSpecifier t = reader.getRawImageType(k);
            if (t == null) {
                return 4;
            }
            SampleModel sm = t.getSampleModel();
            int bits = 0;
            for (int b = 0; b < sm.getNumBands(); b++) {
                bits += sm.getSampleSize(b);
            }
            return Math.max(1, (bits + 7) / 8);
        } catch (IOException | RuntimeException e) {
            return 4;
        }
    }

    /**
     * JPEGs are decoded into their raw type, so no colour profile is applied on the way (Pillow applies none) and
     * CMYK stays CMYK for {@link PillowRgba}; other formats as the reader decodes them.
     */
    private static ImageReadParam param(ImageReader reader, int k) throws IOException {
        ImageReadParam p = reader.getDefaultReadParam();
        if (reader.getFormatName().equalsIgnoreCase("jpeg")) {
            ImageTypeSpecifier raw = reader.getRawImageType(k);
            if (raw != null) {
                p.setDestinationType(raw);
            }
        }
        return p;
    }

    private static boolean isCmykJpeg(ImageReader reader, int k) throws IOException {
        if (!reader.getFormatName().equalsIgnoreCase("jpeg")) {
            return false;
        }
        ImageTypeSpecifier raw = reader.getRawImageType(k);
        return raw != null && raw.getColorModel().getColorSpace().getType() == ColorSpace.TYPE_CMYK;
    }

    /** The transform of a JPEG's Adobe APP14 marker (0 CMYK, 1 YCbCr, 2 YCCK), -1 without one. */
    private static int adobeTransform(ImageReader reader, int k) throws IOException {
        IIOMetadata m = reader.getImageMetadata(k);
        String format = "javax_imageio_jpeg_image_1.0";
        if (m == null || !Arrays.asList(m.getMetadataFormatNames()).contains(format)) {
            return -1;
        }
        Node markers = child(m.getAsTree(format), "markerSequence");
        Node adobe = markers == null ? null : child(markers, "app14Adobe");
        Node t = adobe == null || adobe.getAttributes() == null ? null
                : adobe.getAttributes().getNamedItem("transform");
        try {
            return t == null ? -1 : Integer.parseInt(t.getNodeValue());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * The pixel size in the image's standard metadata ({@code Dimension/HorizontalPixelSize}, millimetres per pixel,
     * which the PNG, JPEG, TIFF and BMP readers fill from the file's physical resolution), in µm below 0.1 mm and in
     * mm above; null when the file gives none (or only an aspect ratio).
     */
    private static PixelSize pixelSize(ImageReader reader, int k) {
        try {
            IIOMetadata m = reader.getImageMetadata(k);
            if (m == null || !m.isStandardMetadataFormatSupported()) {
                return null;
            }
            Node dimension = child(m.getAsTree("javax_imageio_1.0"), "Dimension");
            if (dimension == null) {
                return null;
            }
            double w = value(child(dimension, "HorizontalPixelSize"));
            double h = value(child(dimension, "VerticalPixelSize"));
            if (!(w > 0) || !(h > 0) || Double.isInfinite(w) || Double.isInfinite(h)) {
                return null;
            }
            return w < 0.1 ? new PixelSize(w * 1000, h * 1000, "µm") : new PixelSize(w, h, "mm");
        } catch (IOException | RuntimeException e) {
            return null; // metadata a reader cannot give is no reason to refuse the pixels
        }
    }

    private static double value(Node n) {
        Node v = n == null || n.getAttributes() == null ? null : n.getAttributes().getNamedItem("value");
        try {
            return v == null ? Double.NaN : Double.parseDouble(v.getNodeValue());
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    private static Node child(Node n, String name) {
        for (Node c = n.getFirstChild(); c != null; c = c.getNextSibling()) {
            if (c.getNodeName().equals(name)) {
                return c;
            }
        }
        return null;
    }

    /** Turns a decoder's "premature end" warning (a truncated JPEG, which it fills with grey) into an error. */
    private static final class TruncationWatch implements javax.imageio.event.IIOReadWarningListener {
        private String warning;

        @Override
        public void warningOccurred(ImageReader source, String message) {
            if (message != null && message.toLowerCase(Locale.ROOT).contains("premature end")) {
                warning = message;
            }
        }

        void check() throws IIOException {
            if (warning != null) {
                throw new IIOException("the file ends early (truncated?): " + warning);
            }
        }
    }
}
