package org.layered.fiji;

import ij.ImagePlus;
import ij.io.FileInfo;
import ij.measure.Calibration;
import org.layered.export.ImageJTiffs;
import org.layered.image.DecodedImage;
import org.layered.image.ImageFileReader;
import org.layered.io.FileErrors;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * The planes of one file of a folder batch, read without ImageJ's openers: inside a macro those report an
 * unreadable file by aborting the macro with an error dialog, which nobody can close under {@code ImageJ -batch} and
 * which stops a GUI batch. Here every problem is a {@link DecomposeException} naming the cause, and the batch goes
 * on. Files are read as the command line reads them ({@link ImageFileReader}, Pillow's values, every frame of a GIF
 * or multi-page TIFF a plane), except TIFFs that ImageJ wrote (also inside ImageJ's {@code .zip}), which keep
 * ImageJ's meaning — display range, channels, an RGBA layer stack — and are converted as displayed, like an open
 * image. Those are decoded by ImageJ's TIFF reader after its header was parsed here, in silent mode, so that its
 * remaining error paths write to the Log instead of opening a dialog.
 */
final class BatchInput implements AutoCloseable {
    private final Path file;
    private final String label;
    private final String base;
    private final ImagePlus imp;
    private final List<ImageConversion.Position> positions;
    private final int frames;
    private final Path temporary;

    private BatchInput(Path file, String label, String base, ImagePlus imp, List<ImageConversion.Position> positions,
            int frames, Path temporary) {
        this.file = file;
        this.label = label;
        this.base = base;
        this.imp = imp;
        this.positions = positions;
        this.frames = frames;
        this.temporary = temporary;
    }

    /** A file read frame by frame with {@link ImageFileReader}. */
    private static BatchInput frames(Path file, String label, String base, Path temporary) throws IOException {
        return new BatchInput(file, label, base, null, List.of(), ImageFileReader.frameCount(file), temporary);
    }

    /**
     * Opens {@code file}, whose planes get output names starting with {@code base}.
     *
     * @throws DecomposeException saying why the file cannot be read
     */
    static BatchInput open(Path file, String base) throws DecomposeException {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        try {
            if (name.endsWith(".zip")) {
                return openZip(file, base);
            }
            if (name.endsWith(".tif") || name.endsWith(".tiff")) {
                BatchInput ij = openImageJTiff(file, file.getFileName().toString(), base);
                if (ij != null) {
                    return ij;
                }
            }
            return frames(file, file.getFileName().toString(), base, null);
        } catch (IOException e) {
            throw new DecomposeException(Messages.forImageJ(strip(e.getMessage(), file)), e);
        }
    }

    /** How many planes the file has. */
    int size() {
        return imp != null ? positions.size() : frames;
    }

    /** The output folder name of plane {@code i}: the base name, plus {@code -z3} etc. for stacks. */
    String unitName(int i) throws DecomposeException {
        if (imp != null) {
            return base + ImageConversion.planeSuffix(imp, positions.get(i));
        }
        return frames > 1 ? base + "-z" + (i + 1) : base;
    }

    /** Plane {@code i} as the pipeline takes it. */
    ImageConversion.InputPlane plane(int i) throws DecomposeException {
        if (imp != null) {
            return ImageConversion.plane(imp, positions.get(i), base);
        }
        DecodedImage d;
        try {
            d = ImageFileReader.read(file, i + 1);
        } catch (IOException e) {
            throw new DecomposeException(Messages.forImageJ(strip(e.getMessage(), file)), e);
        }
        String source = "'" + label + "'" + (frames > 1 ? " frame " + (i + 1) + " of " + frames : "")
                + ", " + d.image().width() + "x" + d.image().height() + ", " + d.format();
        List<String> notes = new ArrayList<>(d.notes());
        notes.removeIf(n -> n.startsWith("frame "));
        return new ImageConversion.InputPlane(d.image(), unitName(i), source, String.join("; ", notes),
                new Calibration());
    }

    @Override
    public void close() {
        if (imp != null) {
            imp.flush();
        }
        if (temporary != null) {
            try {
                Files.deleteIfExists(temporary);
            } catch (IOException ignored) {
                // a file in the temporary folder; the system clears it
            }
        }
    }

    /** An ImageJ TIFF opened through ImageJ, or null when ImageJ did not write it (or wrote it as several IFDs). */
    private static BatchInput openImageJTiff(Path file, String title, String base) throws IOException,
            DecomposeException {
        FileInfo[] info = ImageJTiffs.info(file);
        if (info.length != 1 || info[0].description == null || !info[0].description.startsWith("ImageJ=")) {
            return null;
        }
        // the header was parsed above, so ImageJ's TIFF path cannot fail there
        ImagePlus imp = ImageJTiffs.open(file);
        if (imp.getStackSize() < info[0].nImages) {
            // ImageJ's reader stops quietly where the data ends
            int n = imp.getStackSize();
            imp.flush();
            throw new IOException(file + ": the file ends early (truncated?): ImageJ read " + n + " of its "
                    + info[0].nImages + " images");
        }
        imp.setTitle(title);
        return new BatchInput(file, title, base, imp, ImageConversion.positions(imp), 0, null);
    }

    /** ImageJ's {@code .zip}: the first TIFF inside, extracted to a temporary file that lives as long as this. */
    private static BatchInput openZip(Path file, String base) throws IOException, DecomposeException {
        Path tmp = Files.createTempFile("layered-batch-", ".tif");
        boolean kept = false;
        try {
            String inner = null;
            try (InputStream in = Files.newInputStream(file); ZipInputStream zip = new ZipInputStream(in)) {
                for (ZipEntry e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
                    String n = e.getName().toLowerCase(Locale.ROOT);
                    if (!e.isDirectory() && (n.endsWith(".tif") || n.endsWith(".tiff"))) {
                        Files.copy(zip, tmp, StandardCopyOption.REPLACE_EXISTING);
                        inner = e.getName();
                        break;
                    }
                }
            } catch (IOException e) {
                throw new IOException(file + ": not a ZIP archive that can be read: " + FileErrors.cause(e), e);
            }
            if (inner == null) {
                throw new IOException(file + ": the ZIP archive holds no TIFF");
            }
            BatchInput ij = openImageJTiff(tmp, inner, base);
            if (ij != null) {
                return ij; // ImageJ read it into memory: the temporary file can go
            }
            kept = true;
            return frames(tmp, file.getFileName() + "/" + inner, base, tmp);
        } finally {
            if (!kept) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /** The reader's message without the file's path in front (the batch's line and table name the file). */
    private static String strip(String message, Path file) {
        String m = message == null ? "" : message;
        String full = file.toString();
        if (m.startsWith(full + ": ")) {
            return m.substring(full.length() + 2);
        }
        return m.startsWith(full + " ") ? "it" + m.substring(full.length()) : m;
    }
}
