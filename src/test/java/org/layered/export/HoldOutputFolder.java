package org.layered.export;

import java.nio.file.Path;

/** Child-process helper for {@link OutputFolderTest}: claims a folder, says so, and holds it until stdin closes. */
public final class HoldOutputFolder {
    private HoldOutputFolder() {}

    public static void main(String[] args) throws Exception {
        try (OutputFolder f = OutputFolder.claim(Path.of(args[0]), 0)) {
            System.out.println("claimed " + f.path());
            System.out.flush();
            while (System.in.read() >= 0) {
                // hold until the parent closes our stdin
            }
        }
    }
}
