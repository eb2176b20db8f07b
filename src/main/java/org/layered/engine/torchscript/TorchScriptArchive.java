package org.layered.engine.torchscript;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Builds a loadable TorchScript archive (the zip that {@code torch.jit.save} writes) from TorchScript source text
 * of one parameter-free module class.
 *
 * <p>Why: DJL offers neither fused attention nor safe bf16 handling, but libtorch compiles the {@code code/}
 * records of an archive when it loads it. Writing the archive ourselves means no Python at build or run time and no
 * opaque binary in the repository: the op library is plain text under {@code src/main/resources}.
 *
 * <p>Layout written: {@code archive/data.pkl} (the module instance, attributes {@code training}),
 * {@code archive/constants.pkl} (empty tuple), {@code archive/code/__torch__.py} (the source),
 * {@code archive/version}. Entries are stored uncompressed, as libtorch expects.
 */
public final class TorchScriptArchive {
    /** Serialisation format version: 10, the newest libtorch 2.x reads; older numbers make it apply operator upgraders (e.g. gelu without approximate). */
    static final String FORMAT_VERSION = "10";
    private static final Pattern CLASS = Pattern.compile("^class\\s+(\\w+)\\s*\\(\\s*Module\\s*\\)\\s*:", Pattern.MULTILINE);

    private TorchScriptArchive() {}

    /**
     * Returns the archive bytes for {@code source}, which must define exactly one {@code class Name(Module):}
     * in TorchScript's serialized-code dialect (fully typed {@code self: __torch__.Name} parameters).
     */
    public static byte[] build(String source) {
        Matcher m = CLASS.matcher(source);
        if (!m.find()) {
            throw new IllegalArgumentException("TorchScript source defines no 'class X(Module):'");
        }
        String className = m.group(1);
        if (m.find()) {
            throw new IllegalArgumentException("TorchScript source must define exactly one module class");
        }
        Map<String, Object> state = new LinkedHashMap<>();
        state.put("training", Boolean.FALSE);
        byte[] data = new PickleWriter().object("__torch__", className, state).finish();
        byte[] constants = new PickleWriter().tuple().finish();

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            stored(zip, "archive/data.pkl", data);
            stored(zip, "archive/code/__torch__.py", source.getBytes(StandardCharsets.UTF_8));
            stored(zip, "archive/constants.pkl", constants);
            stored(zip, "archive/version", (FORMAT_VERSION + "\n").getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static void stored(ZipOutputStream zip, String name, byte[] content) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(content.length);
        e.setCompressedSize(content.length);
        CRC32 crc = new CRC32();
        crc.update(content);
        e.setCrc(crc.getValue());
        e.setTime(0L);
        zip.putNextEntry(e);
        zip.write(content);
        zip.closeEntry();
    }
}
