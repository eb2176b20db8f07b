package org.layered.engine;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.Properties;

/**
 * The engine Layered should load, remembered in {@code <home>/engine.properties} ({@link LayeredHome}) by
 * {@code layered engine use/install} and Plugins > Layered > Set Up GPU...; nothing remembered means the bundled
 * CPU libtorch. {@link TorchEngine} applies it before DJL loads, so no environment variable is needed.
 */
public final class EngineSettings {
    public static final String FILE = "engine.properties";

    /**
     * A remembered libtorch folder.
     *
     * @param dir     the folder holding the libraries
     * @param version libtorch version
     * @param flavor  {@code cpu} or {@code cuNNN}
     */
    public record Remembered(Path dir, String version, String flavor) {}

    private final Path file;

    public EngineSettings(Path home) {
        this.file = home.resolve(FILE);
    }

    /** The settings of this process's {@link LayeredHome}. */
    public static EngineSettings current() {
        return new EngineSettings(LayeredHome.dir());
    }

    public Path file() {
        return file;
    }

    /** The remembered engine, if any. @throws EngineException for a settings file that cannot be read */
    public Optional<Remembered> engine() {
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            p.load(in);
        } catch (IOException | IllegalArgumentException e) {
            throw new EngineException("cannot read " + file + " (" + e.getMessage() + "); fix or delete it");
        }
        String dir = p.getProperty("dir");
        if (dir == null || dir.isBlank()) {
            return Optional.empty();
        }
        return Optional.of(new Remembered(Path.of(dir.strip()), p.getProperty("version", DjlNatives.pytorchVersion())
                .strip(), p.getProperty("flavor", "cpu").strip()));
    }

    /** Remembers {@code engine} (written to a temporary file, then moved into place). */
    public void remember(LibtorchFolder engine) throws IOException {
        Properties p = new Properties();
        p.setProperty("dir", engine.dir().toString());
        p.setProperty("version", engine.version());
        p.setProperty("flavor", engine.flavor());
        write(p);
    }

    /** Forgets the remembered engine: the bundled CPU libtorch is used again. */
    public void forget() throws IOException {
        Files.deleteIfExists(file);
    }

    private void write(Properties p) throws IOException {
        Files.createDirectories(file.getParent());
        Path tmp = Files.createTempFile(file.getParent(), FILE, ".tmp");
        try {
            try (OutputStream out = Files.newOutputStream(tmp)) {
                p.store(out, "The libtorch Layered loads; written by 'layered engine use/install' and Set Up GPU...");
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
