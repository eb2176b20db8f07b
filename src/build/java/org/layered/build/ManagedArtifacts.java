package org.layered.build;

import org.w3c.dom.Element;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The artifacts pom-scijava manages ({@code groupId:artifactId}, any version): the libraries Fiji ships, which an
 * update site must never ship again. Read from the parent POM's {@code <dependencyManagement>} in the local
 * repository, where Maven put it to build this project.
 */
public final class ManagedArtifacts {
    private final Set<String> keys;

    private ManagedArtifacts(Set<String> keys) {
        this.keys = Set.copyOf(keys);
    }

    /** Reads {@code <dependencyManagement>} of a POM (pom-scijava imports no BOMs, so this is all of it). */
    public static ManagedArtifacts fromPom(Path pom) throws IOException {
        if (!Files.isRegularFile(pom)) {
            throw new IOException("no POM at " + pom + " (the parent POM in the local repository)");
        }
        Element root;
        try (InputStream in = Files.newInputStream(pom)) {
            root = Xml.parse(in, pom.toString());
        }
        Set<String> keys = new TreeSet<>();
        Element dm = Xml.child(root, "dependencyManagement");
        Element deps = dm == null ? null : Xml.child(dm, "dependencies");
        for (Element d : deps == null ? List.<Element>of() : Xml.children(deps, "dependency")) {
            String g = Xml.text(d, "groupId");
            String a = Xml.text(d, "artifactId");
            if (g != null && a != null) {
                keys.add(g + ":" + a);
            }
        }
        if (keys.isEmpty()) {
            throw new IOException(pom + " manages no artifacts: not pom-scijava?");
        }
        return new ManagedArtifacts(keys);
    }

    /** Whether {@code groupId:artifactId} is managed (Fiji ships it, in some version). */
    public boolean contains(String groupId, String artifactId) {
        return keys.contains(groupId + ":" + artifactId);
    }

    /** Every managed {@code groupId:artifactId}. */
    public Set<String> keys() {
        return keys;
    }
}
