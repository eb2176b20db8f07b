package org.layered.build;

import org.scijava.util.FileUtils;

import java.util.List;

/**
 * One file of an ImageJ update site, as {@code db.xml.gz} lists it (a {@code <plugin>} record): its path in the
 * Fiji folder ({@code jars/api-0.36.0.jar}), the platforms it is for (none = all), the current version (null for a
 * file the site no longer serves: clients then remove it), its metadata, and the versions before it, whose
 * checksums let the updater tell "update available" from "locally modified".
 *
 * @param filename    path relative to the Fiji folder, with the version in the name as Maven writes it
 * @param platforms   updater platform names ({@code linux64}, {@code macos-arm64}, ...)
 * @param current     the version served, or null when the file is obsolete
 * @param previous    earlier versions, newest first
 */
public record SiteFile(String filename, List<String> platforms, Version current, String description,
        List<Dependency> dependencies, List<String> links, List<String> authors, List<Previous> previous) {
    /**
     * A served version.
     *
     * @param checksum  {@link UpdaterChecksum} of the file
     * @param timestamp when it was put on the site, {@code yyyyMMddHHmmss} (the updater's format, not Unix time)
     * @param filesize  bytes
     */
    public record Version(String checksum, long timestamp, long filesize) {}

    /** Another file this one needs, at (or after) the given version timestamp. */
    public record Dependency(String filename, long timestamp) {}

    /** An earlier version: its checksum, when it was served and when it was replaced, and its file name. */
    public record Previous(String checksum, long timestamp, long timestampObsolete, String filename) {}

    public SiteFile {
        platforms = List.copyOf(platforms);
        dependencies = List.copyOf(dependencies);
        links = List.copyOf(links);
        authors = List.copyOf(authors);
        previous = List.copyOf(previous);
    }

    /** The name the updater knows this file by across versions ({@code jars/api.jar}); it must be unique in Fiji. */
    public String unversioned() {
        return unversioned(filename);
    }

    /** {@link #unversioned()} of any file name, by the updater's (scijava-common's) rule. */
    public static String unversioned(String filename) {
        return FileUtils.stripFilenameVersion(filename);
    }

    /** Where the site serves the current version: {@code <filename>-<timestamp>}, as the updater downloads it. */
    public String servedPath() {
        if (current == null) {
            throw new IllegalStateException(filename + " is obsolete: the site serves no version of it");
        }
        return filename + "-" + current.timestamp();
    }
}
