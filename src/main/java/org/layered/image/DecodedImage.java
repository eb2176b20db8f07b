package org.layered.image;

import java.util.List;

/**
 * An image file as {@link ImageFileReader} read it.
 *
 * @param image  the pixels, straight-alpha RGBA
 * @param format the file format as the decoder names it ({@code png}, {@code JPEG}, {@code gif}, ...)
 * @param frame  the frame (page) taken, 1-based
 * @param frames how many frames the file holds
 * @param notes  what the reading did beyond taking the pixels as they are (the frame of a multi-frame file,
 *               reduced bit depth, colour conversions), one short sentence each; empty when nothing
 * @param pixelSize the physical pixel size the file states (PNG pHYs in metres, JPEG JFIF or TIFF resolution in
 *               inches or centimetres), or null when it states none
 */
public record DecodedImage(RgbaImage image, String format, int frame, int frames, List<String> notes,
        PixelSize pixelSize) {
    public DecodedImage {
        notes = List.copyOf(notes);
    }
}
