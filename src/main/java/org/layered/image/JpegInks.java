package org.layered.image;

import java.awt.image.Raster;
import java.awt.image.WritableRaster;

/**
 * The ink values Pillow holds for a 4-component (CMYK or YCCK) JPEG, from the samples as stored. libjpeg decodes
 * YCCK to CMYK ({@code jdcolor.c ycck_cmyk_convert}: C = 255 - R of the YCbCr triple, K as stored, with its
 * fixed-point tables) and Pillow then inverts all four ({@code JpegImagePlugin}: rawmode {@code CMYK;I}, Adobe's
 * convention); plain CMYK is inverted only. Both steps are done here, integer for integer.
 */
final class JpegInks {
    private static final int SCALEBITS = 16;
    private static final int ONE_HALF = 1 << (SCALEBITS - 1);
    private static final int[] CR_R = new int[256];
    private static final int[] CB_B = new int[256];
    private static final int[] CR_G = new int[256];
    private static final int[] CB_G = new int[256];

    static {
        for (int i = 0; i < 256; i++) {
            int x = i - 128;
            CR_R[i] = (fix(1.40200) * x + ONE_HALF) >> SCALEBITS;
            CB_B[i] = (fix(1.77200) * x + ONE_HALF) >> SCALEBITS;
            CR_G[i] = -fix(0.71414) * x;
            CB_G[i] = -fix(0.34414) * x + ONE_HALF;
        }
    }

    private JpegInks() {}

    private static int fix(double v) {
        return (int) (v * (1L << SCALEBITS) + 0.5);
    }

    /**
     * @param stored the 4 decoded components as stored in the file
     * @param ycck   whether the Adobe marker says YCCK (any transform but 0); else plain CMYK
     * @return a new raster of ink values
     */
    static WritableRaster inks(Raster stored, boolean ycck) {
        int w = stored.getWidth();
        int h = stored.getHeight();
        WritableRaster out = stored.createCompatibleWritableRaster(w, h);
        int[] row = new int[w * 4];
        for (int y = 0; y < h; y++) {
            stored.getPixels(stored.getMinX(), stored.getMinY() + y, w, 1, row);
            for (int i = 0; i < row.length; i += 4) {
                if (ycck) {
                    int yy = row[i];
                    int cb = row[i + 1];
                    int cr = row[i + 2];
                    row[i] = clamp(yy + CR_R[cr]);
                    row[i + 1] = clamp(yy + ((CB_G[cb] + CR_G[cr]) >> SCALEBITS));
                    row[i + 2] = clamp(yy + CB_B[cb]);
                } else {
                    row[i] = 255 - row[i];
                    row[i + 1] = 255 - row[i + 1];
                    row[i + 2] = 255 - row[i + 2];
                }
                row[i + 3] = 255 - row[i + 3];
            }
            out.setPixels(0, y, w, 1, row);
        }
        return out;
    }

    private static int clamp(int v) {
        return Math.max(0, Math.min(255, v));
    }
}
