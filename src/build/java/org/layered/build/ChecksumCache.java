package org.layered.build;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@link UpdaterChecksum}s kept between builds, keyed by a file's absolute path, size and modification time: the
 * jars of the local repository never change under one key, and the native jars take seconds to checksum. A file that
 * changes gets a new key, so a stale entry is never used; a missing or unreadable cache is an empty one.
 */
final class ChecksumCache {
    private final Path file;
    private final Map<String, String> entries = new TreeMap<>();
    private final Map<String, String> used = new TreeMap<>();

    private ChecksumCache(Path file) {
        this.file = file;
    }

    /** The cache in {@code file}; null = no cache. */
    static ChecksumCache load(Path file) {
        ChecksumCache c = new ChecksumCache(file);
        if (file != null && Files.isRegularFile(file)) {
            try {
                for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                    int tab = line.indexOf('\t');
                    if (tab == 40) {
                        c.entries.put(line.substring(tab + 1), line.substring(0, tab));
                    }
                }
            } catch (IOException e) {
                c.entries.clear(); // unreadable: computed anew
            }
        }
        return c;
    }

    String checksum(Path jar) throws IOException {
        Path p = jar.toAbsolutePath().normalize();
        String key = Files.size(p) + "\t" + Files.getLastModifiedTime(p).toMillis() + "\t" + p;
        String sum = entries.get(key);
        if (sum == null) {
            sum = UpdaterChecksum.ofJar(p);
        }
        used.put(key, sum);
        return sum;
    }

    /** Writes the entries used by this build (so that the cache does not grow with every version). */
    void save() throws IOException {
        if (file == null) {
            return;
        }
        List<String> lines = new ArrayList<>();
        used.forEach((key, sum) -> lines.add(sum + "\t" + key));
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.write(file, lines, StandardCharsets.UTF_8);
    }
}
