package org.layered.export;

import org.layered.image.ImageFileReader;
import org.layered.image.RgbaImage;
import org.layered.io.FileErrors;

import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes an RGBA image as an 8-bit straight-alpha PNG (what image editors and Fiji read as transparent layers). */
public final class PngLayerWriter {
    private PngLayerWriter() {}

    /**
     * Writes {@code image} to a temporary sibling, then moves it over {@code file}; on failure the temporary file is
     * removed and the message names {@code file} and the cause (permission denied, disk full, ...).
     */
    public static void write(RgbaImage image, Path file) throws IOException {
        Path tmp = ExportSupport.partFile(file);
        try {
            ImageWriter writer = ImageIO.getImageWritersByFormatName("png").next();
            // a plain stream (not ImageIO's file cache), so the operating system's reason reaches the exception
            try (OutputStream os = Files.newOutputStream(tmp);
                 ImageOutputStream out = new MemoryCacheImageOutputStream(os)) {
                writer.setOutput(out);
                writer.write(image.toBufferedImage());
            } finally {
                writer.dispose();
            }
            ExportSupport.commit(tmp, file);
        } catch (IOException e) {
            ExportSupport.discard(tmp);
            throw FileErrors.describe("write", file, e);
        } catch (RuntimeException e) {
            ExportSupport.discard(tmp);
            throw e;
        }
    }

    /**
     * Reads the first frame of an image file into RGBA as Pillow's {@code convert("RGBA")} does
     * ({@link ImageFileReader}); images without alpha get alpha 255.
     *
     * @throws IOException naming the file and the cause
     */
    public static RgbaImage read(Path file) throws IOException {
        return ImageFileReader.read(file).image();
    }
}
