package org.layered.engine;

import org.layered.engine.torchscript.TorchScriptArchive;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes the op library archive to a file, for checking it against another libtorch (e.g. Python's
 * {@code torch.jit.load} on a CUDA machine, see {@code tools/gpu-check/}):
 * {@code java -cp target/lib/'*' org.layered.engine.OpLibraryExport ops.pt}.
 */
public final class OpLibraryExport {
    private OpLibraryExport() {}

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: OpLibraryExport OUT.pt");
            System.exit(2);
        }
        String source;
        try (InputStream in = OpLibraryExport.class.getResourceAsStream(OpLibrary.RESOURCE)) {
            source = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Files.write(Path.of(args[0]), TorchScriptArchive.build(source));
    }
}
