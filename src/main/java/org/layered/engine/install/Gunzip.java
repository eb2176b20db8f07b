package org.layered.engine.install;

import org.layered.store.ModelStoreException;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.BooleanSupplier;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/** Unpacks a gzip file, which checks its CRC-32 and length as the stream ends. */
final class Gunzip {
    private Gunzip() {}

    /**
     * Unpacks {@code gz} into {@code out}.
     *
     * @throws ModelStoreException {@code CHECKSUM_MISMATCH} when the data is corrupt or truncated, {@code CANCELLED}
     *                             when {@code stop} says so
     */
    static void verified(Path gz, Path out, String what, BooleanSupplier stop) throws IOException {
        byte[] buf = new byte[1 << 20];
        try (InputStream in = new GZIPInputStream(new BufferedInputStream(Files.newInputStream(gz), 1 << 16), 1 << 16);
                OutputStream o = Files.newOutputStream(out)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                o.write(buf, 0, n);
                if (stop.getAsBoolean()) {
                    throw new ModelStoreException(ModelStoreException.Reason.CANCELLED, what + ": cancelled while "
                            + "unpacking; install again to resume");
                }
            }
        } catch (ZipException | EOFException e) {
            Files.deleteIfExists(out);
            throw new ModelStoreException(ModelStoreException.Reason.CHECKSUM_MISMATCH, what + ": the gzip data is "
                    + "corrupt (" + e.getMessage() + ")", e);
        } catch (IOException e) {
            Files.deleteIfExists(out);
            throw e;
        }
    }
}
