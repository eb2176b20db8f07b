package org.layered.engine;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Where {@link Ops#read} gets a tensor's stored bytes from, e.g. positional reads of a safetensors file.
 *
 * <p>{@code dst} is a view of native tensor memory: fill it completely from Java (file-channel reads, buffer
 * copies) and never keep it after returning, nor hand it to native code other than the operating system's read.
 */
@FunctionalInterface
public interface ByteSource {
    /**
     * Fills all remaining bytes of {@code dst} with the bytes starting at {@code offset} of the tensor's data.
     *
     * @throws IOException naming the file and tensor when the bytes cannot be read (e.g. the file shrank)
     */
    void readInto(long offset, ByteBuffer dst) throws IOException;
}
