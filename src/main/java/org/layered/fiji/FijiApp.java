package org.layered.fiji;

import ij.IJ;
import org.layered.store.ModelStore;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The Fiji (or ImageJ) installation the plugin runs in, and its {@code models/} folder, where deepImageJ keeps its
 * models too and where Layered looks for {@code models/Qwen-Image-Layered/} before the Hugging Face cache and its
 * own cache. The folder is the first of the {@code fiji.dir}, {@code imagej.dir} and {@code ij.dir} properties
 * (set by Fiji's and ImageJ2's launchers), {@code plugins.dir} (ImageJ 1.x's) and ImageJ 1.x's own idea of its
 * folder that looks like an installation: a {@code plugins/} folder beside {@code jars/} or {@code ij.jar}. Outside
 * ImageJ (tests, the command line) there is none.
 */
public final class FijiApp {
    private FijiApp() {
    }

    /** The installation folder, when running inside one. */
    public static Optional<Path> folder() {
        return folder(System::getProperty, () -> IJ.getDirectory("imagej"));
    }

    /** {@link #folder()} from given properties and ImageJ folder (for tests). */
    static Optional<Path> folder(Function<String, String> properties, Supplier<String> imagejDirectory) {
        List<String> candidates = new ArrayList<>();
        for (String key : List.of("fiji.dir", "imagej.dir", "ij.dir")) {
            candidates.add(properties.apply(key));
        }
        String plugins = properties.apply("plugins.dir");
        if (plugins != null) {
            String p = plugins.replaceAll("[/\\\\]+$", "");
            candidates.add(p.endsWith("plugins") ? p.substring(0, p.length() - "plugins".length()) : p);
        }
        candidates.add(imagejDirectory.get());
        for (String c : candidates) {
            if (c == null || c.isBlank()) {
                continue;
            }
            try {
                Path dir = Path.of(c.strip()).toAbsolutePath().normalize();
                if (Files.isDirectory(dir.resolve("plugins")) && (Files.isDirectory(dir.resolve("jars"))
                        || Files.isRegularFile(dir.resolve("ij.jar")))) {
                    return Optional.of(dir);
                }
            } catch (InvalidPathException e) {
                // not a folder name: the next candidate
            }
        }
        return Optional.empty();
    }

    /** {@code <installation>/models}, when running inside an installation. */
    public static Optional<Path> modelsFolder() {
        return folder().map(f -> f.resolve("models"));
    }

    /** The model store's settings here: the environment's, plus the installation's models folder. */
    public static ModelStore.Config storeConfig() {
        ModelStore.Config c = ModelStore.Config.fromEnvironment();
        modelsFolder().ifPresent(c::modelsFolder);
        return c;
    }
}
