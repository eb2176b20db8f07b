package org.layered.weights;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every way a loaded model's file can change is seen; files the model does not read are not. */
class ModelFingerprintTest {
    @TempDir
    Path dir;

    @Test
    void seesRewritesTruncationReplacementAndRemovalButNotNewOrUnrelatedFiles() throws Exception {
        Files.writeString(dir.resolve("model_index.json"), "{}");
        Path vae = Files.createDirectories(dir.resolve("vae"));
        Path weights = Files.write(vae.resolve("w.safetensors"), new byte[] {1, 2, 3, 4});
        Path config = Files.writeString(vae.resolve("config.json"), "{}");
        Files.writeString(vae.resolve(".hidden"), "x");
        Files.createDirectories(dir.resolve("layers")).resolve("out.png").toFile().createNewFile();
        ModelFingerprint f = ModelFingerprint.of(dir, List.of("vae", "text_encoder"));
        assertEquals(3, f.fileCount(), "model_index.json and the two vae files");
        assertEquals(List.of(), f.changes());

        // outputs and hidden files, a component folder added later: not the loaded model's files
        Files.writeString(dir.resolve("layers/out.png"), "new");
        Files.writeString(vae.resolve(".hidden"), "changed");
        Files.createDirectories(dir.resolve("text_encoder")).resolve("model.safetensors").toFile().createNewFile();
        assertEquals(List.of(), f.changes());

        // same size, new contents (times changed)
        FileTime before = Files.getLastModifiedTime(weights);
        Files.write(weights, new byte[] {9, 9, 9, 9});
        Files.setLastModifiedTime(weights, FileTime.fromMillis(before.toMillis() + 2000));
        List<String> c = f.changes();
        assertEquals(1, c.size(), c.toString());
        assertTrue(c.get(0).startsWith("vae/w.safetensors was rewritten (same size"), c.get(0));

        // same size, modification time put back: the status-change time still tells
        Files.setLastModifiedTime(weights, before);
        assertEquals(1, f.changes().size(), "ctime changed: " + f.changes());

        ModelFingerprint g = ModelFingerprint.of(dir, List.of("vae"));
        Files.write(weights, new byte[] {1, 2});
        assertEquals(List.of("vae/w.safetensors was rewritten (size 4 -> 2 bytes)"), g.changes());

        ModelFingerprint h = ModelFingerprint.of(dir, List.of("vae"));
        Path other = Files.write(dir.resolve("other"), new byte[] {1, 2});
        Files.move(other, weights, StandardCopyOption.REPLACE_EXISTING);
        Files.delete(config);
        assertEquals(List.of("vae/config.json was removed", "vae/w.safetensors was replaced by another file"),
                h.changes());
        assertEquals("model file vae/config.json was removed (and 1 more change(s))",
                ModelFingerprint.summary(h.changes()));
    }
}
