package org.layered.build;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * The checksum the ImageJ updater records for a jar, so that Fiji sees an installed file as up to date. It is not a
 * hash of the file's bytes (rebuilding a jar changes those): the updater ({@code UpdaterUtil.getJarDigest} in
 * imagej-updater) takes the SHA-1 of every entry in name order, each entry's name (ASCII) followed by its
 * content, where
 * <ul>
 *   <li>a {@code .properties} entry skips the lines that start with {@code #} (Maven writes the build date into a
 *       comment of {@code pom.properties}), with the updater's exact line-start rules ({@link #withoutHashedLines});
 *   <li>{@code META-INF/MANIFEST.MF} keeps only the lines whose upper-cased text starts with
 *       {@code "Main-Class:"}: none can, so the manifest contributes its name and nothing else.
 * </ul>
 * Checked against the updater's own code on real jars (see the test's known answers).
 */
public final class UpdaterChecksum {
    private static final String MANIFEST = "META-INF/MANIFEST.MF";

    private UpdaterChecksum() {
    }

    /** The updater's checksum of a jar: 40 lower-case hex digits. */
    public static String ofJar(Path jar) throws IOException {
        MessageDigest sha1 = sha1();
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            List<ZipEntry> entries = new ArrayList<>();
            zip.stream().forEach(entries::add);
            entries.sort(Comparator.comparing(ZipEntry::getName)); // stable, as the updater's Collections.sort
            byte[] buffer = new byte[1 << 16];
            for (ZipEntry e : entries) {
                sha1.update(e.getName().getBytes(StandardCharsets.US_ASCII));
                if (e.getName().equals(MANIFEST)) {
                    continue;
                }
                try (InputStream in = zip.getInputStream(e)) {
                    if (e.getName().endsWith(".properties")) {
                        sha1.update(withoutHashedLines(in.readAllBytes()));
                    } else {
                        for (int n; (n = in.read(buffer)) >= 0; ) {
                            sha1.update(buffer, 0, n);
                        }
                    }
                }
            }
        }
        return HexFormat.of().formatHex(sha1.digest());
    }

    /**
     * A properties file without its comment lines, by the updater's rules: a {@code #} at the start of a line
     * drops the rest of that line but keeps its newline. Quirks kept on purpose, since the checksums must agree:
     * after a comment line that holds nothing but {@code #} signs, and after an empty line, the next line does not
     * count as a line start.
     */
    static byte[] withoutHashedLines(byte[] in) {
        byte[] out = new byte[in.length];
        int n = 0;
        boolean lineStart = true;
        int i = 0;
        while (i < in.length) {
            int c = in[i++] & 0xFF;
            if (!lineStart) {
                lineStart = c == '\n';
                out[n++] = (byte) c;
                continue;
            }
            if (c != '#') {
                lineStart = false;
                out[n++] = (byte) c;
                continue;
            }
            // a comment: skip to its newline; a '#' read at a line start nests, ending at the same newline
            while (i < in.length) {
                c = in[i++] & 0xFF;
                if (lineStart) {
                    if (c == '#') {
                        continue;
                    }
                    lineStart = false;
                } else if (c == '\n') {
                    lineStart = true;
                }
                if (c == '\n') {
                    out[n++] = '\n';
                    break;
                }
            }
        }
        return java.util.Arrays.copyOf(out, n);
    }

    private static MessageDigest sha1() {
        try {
            return MessageDigest.getInstance("SHA-1");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is part of every Java runtime", e);
        }
    }
}
