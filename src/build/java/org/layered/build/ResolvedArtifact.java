package org.layered.build;

import java.nio.file.Path;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A dependency as Maven resolved it, read from the output of {@code maven-dependency-plugin:list} with
 * {@code outputAbsoluteArtifactFilename}: {@code groupId:artifactId:type[:classifier]:version:scope:/path/file.jar},
 * optionally followed by {@code " -- module name"}. Maven colours that file when it colours its console (a plain
 * {@code mvn package} in a terminal, without {@code -B}), so ANSI escape sequences are dropped first.
 */
public record ResolvedArtifact(String groupId, String artifactId, String type, String classifier, String version,
        String scope, Path file) {
    private static final Set<String> SCOPES = Set.of("compile", "provided", "runtime", "test", "system");
    private static final Pattern ANSI_ESCAPE = Pattern.compile("\u001B\\[[0-9;]*[A-Za-z]");

    /** {@code groupId:artifactId:version[:classifier]}. */
    public String coordinates() {
        return groupId + ":" + artifactId + ":" + version + (classifier == null ? "" : ":" + classifier);
    }

    /**
     * Parses one line of the list; null for the header and blank lines.
     *
     * @throws IllegalArgumentException for a line that names an artifact in an unknown layout
     */
    public static ResolvedArtifact parse(String line) {
        String s = ANSI_ESCAPE.matcher(line).replaceAll("").strip();
        int module = s.indexOf(" -- module ");
        if (module >= 0) {
            s = s.substring(0, module).strip();
        }
        if (s.isEmpty() || s.startsWith("The following files") || !s.contains(":")) {
            return null;
        }
        // the path may itself contain ':' (Windows drives): find the scope, the path is what follows it
        String[] f = s.split(":", -1);
        for (int scope = 4; scope <= 5 && scope < f.length - 1; scope++) {
            if (SCOPES.contains(f[scope])) {
                String path = String.join(":", java.util.Arrays.copyOfRange(f, scope + 1, f.length));
                String classifier = scope == 5 ? f[3] : null;
                return new ResolvedArtifact(f[0], f[1], f[2], classifier, f[scope - 1], f[scope], Path.of(path));
            }
        }
        throw new IllegalArgumentException("not a dependency list line (groupId:artifactId:type[:classifier]:"
                + "version:scope:path): '" + line.strip() + "'");
    }
}
