package org.layered.engine;

import java.nio.file.Path;
import java.util.Map;

/**
 * The per-user Layered folder: settings ({@code engine.properties}) and, outside Fiji, installed engines
 * ({@code engines/}). System property {@code layered.home}, else environment {@code LAYERED_HOME}, else
 * {@code ~/.layered}.
 */
public final class LayeredHome {
    private LayeredHome() {}

    /** This process's folder. */
    public static Path dir() {
        return dir(System.getenv(), System.getProperty("layered.home"), System.getProperty("user.home", "."));
    }

    static Path dir(Map<String, String> env, String property, String userHome) {
        if (property != null && !property.isBlank()) {
            return Path.of(property.strip()).toAbsolutePath();
        }
        String e = env.get("LAYERED_HOME");
        if (e != null && !e.isBlank()) {
            return Path.of(e.strip()).toAbsolutePath();
        }
        return Path.of(userHome, ".layered").toAbsolutePath();
    }

    /** Where engines go outside Fiji: {@code <home>/engines}. */
    public static Path enginesDir() {
        return dir().resolve("engines");
    }
}
