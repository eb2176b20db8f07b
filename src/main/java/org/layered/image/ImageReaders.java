package org.layered.image;

import com.twelvemonkeys.imageio.color.ColorSpaces;
import com.twelvemonkeys.imageio.plugins.jpeg.JPEGImageReaderSpi;
import com.twelvemonkeys.imageio.plugins.pnm.PNMImageReaderSpi;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.spi.IIORegistry;
import javax.imageio.spi.ImageReaderSpi;
import javax.imageio.stream.ImageInputStream;
import java.awt.color.ColorSpace;
import java.util.Iterator;

/**
 * The ImageIO readers Layered decodes with: the JDK's (PNG, GIF, BMP, TIFF) and TwelveMonkeys' JPEG (CMYK, YCCK,
 * ICC profiles, damaged files) and PNM readers. TwelveMonkeys' readers are registered with ImageIO here when the
 * registry did not find them itself (ImageJ's plugin class loader is not the one ImageIO scans at start-up).
 */
final class ImageReaders {
    private static boolean registered;

    private ImageReaders() {}

    /** A reader for the format of {@code in}, chosen by content; TwelveMonkeys' before the JDK's; null if none. */
    static ImageReader forInput(ImageInputStream in) {
        ensureRegistered();
        ImageReader fallback = null;
        for (Iterator<ImageReader> it = ImageIO.getImageReaders(in); it.hasNext(); ) {
            ImageReader r = it.next();
            if (r.getClass().getName().startsWith("com.twelvemonkeys.")) {
                if (fallback != null) {
                    fallback.dispose();
                }
                return r;
            }
            if (fallback == null) {
                fallback = r;
            } else {
                r.dispose();
            }
        }
        return fallback;
    }

    /** Whether {@code cs} is TwelveMonkeys' stand-in for a CMYK file without an embedded ICC profile. */
    static boolean isGenericCmyk(ColorSpace cs) {
        return cs == ColorSpaces.getColorSpace(ColorSpaces.CS_GENERIC_CMYK);
    }

    private static synchronized void ensureRegistered() {
        if (registered) {
            return;
        }
        IIORegistry registry = IIORegistry.getDefaultInstance();
        register(registry, JPEGImageReaderSpi.class);
        register(registry, PNMImageReaderSpi.class);
        registered = true;
    }

    private static void register(IIORegistry registry, Class<? extends ImageReaderSpi> type) {
        if (registry.getServiceProviderByClass(type) != null) {
            return;
        }
        try {
            // registration lets the provider find the JDK reader it builds on (onRegistration)
            registry.registerServiceProvider(type.getDeclaredConstructor().newInstance(), ImageReaderSpi.class);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot register " + type.getName() + ": " + e, e);
        }
    }
}
