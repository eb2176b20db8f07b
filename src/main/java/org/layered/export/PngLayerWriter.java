package org.layered.export;

import org.layered.image.RgbaImage;

import javax.imageio.ImageIO;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes an RGBA image as an 8-bit straight-alpha PNG (what image editors and Fiji read as transparent layers). */
public final class PngLayerWriter {
    private PngLayerWriter() {}

    public static void write(RgbaImage image, Path file) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".part");
        if (!ImageIO.write(image.toBufferedImage(), "png", tmp.toFile())) {
            throw new IOException("no PNG writer available in this Java runtime");
        }
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * Reads a PNG, JPEG, BMP or GIF into RGBA; images without alpha get alpha 255.
     *
     * @throws IOException naming the file when it is missing or not a readable image
     */
    public static RgbaImage read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException(file + ": image file not found");
        }
        java.awt.image.BufferedImage img = ImageIO.read(file.toFile());
        if (img == null) {
            throw new IOException(file + ": not an image this Java runtime can read (use PNG, JPEG, BMP or GIF)");
        }
        return RgbaImage.fromBufferedImage(img);
    }
}
