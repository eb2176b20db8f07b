package org.layered.export;

import ij.ImagePlus;
import ij.io.FileInfo;
import ij.io.Opener;
import ij.io.TiffDecoder;
import org.layered.io.FileErrors;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;

/** TIFF files read through ImageJ 1.x, with failures as exceptions naming the file instead of dialogs. */
public final class ImageJTiffs {
    private ImageJTiffs() {}

    /**
     * The image file directories of {@code file} as ImageJ's decoder reads them (its description tells whether
     * ImageJ wrote the file); none when the decoder finds none.
     *
     * @throws IOException naming the file when it cannot be read as a TIFF
     */
    public static FileInfo[] info(Path file) throws IOException {
        FileInfo[] info;
        try {
            info = new TiffDecoder(folder(file), file.getFileName().toString()).getTiffInfo();
        } catch (IOException | RuntimeException e) {
            throw new IOException(file + ": not a TIFF that can be read: " + FileErrors.cause(e), e);
        }
        return info == null ? new FileInfo[0] : info;
    }

    /**
     * {@code file} opened by ImageJ, in its silent mode (which it keeps for its file opener until the next open), so
     * that errors on the pixel data become Log lines, never dialogs.
     *
     * @throws IOException naming the file when ImageJ could not read its pixels
     */
    public static ImagePlus open(Path file) throws IOException {
        Opener opener = new Opener();
        opener.setSilentMode(true);
        ImagePlus imp = opener.openImage(folder(file), file.getFileName().toString());
        if (imp == null || imp.getStack() == null || imp.getStackSize() < 1) {
            throw new IOException(file + ": ImageJ could not read its pixel data (damaged file?)");
        }
        return imp;
    }

    private static String folder(Path file) {
        return file.toAbsolutePath().getParent() + File.separator;
    }
}
