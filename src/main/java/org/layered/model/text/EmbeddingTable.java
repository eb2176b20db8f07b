package org.layered.model.text;

import org.layered.engine.ComputeDevice;
import org.layered.engine.DType;
import org.layered.engine.Ops;
import org.layered.engine.Tensor;
import org.layered.engine.TensorScope;
import org.layered.weights.SafetensorsWeights;
import org.layered.weights.WeightSource;
import org.layered.weights.safetensors.TensorInfo;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * The token embedding {@code embed_tokens.weight} [vocab, hidden], looked up without materialising the table: from
 * a safetensors checkpoint only the rows of the requested ids are copied out of the mapped file (the 7B table is
 * 1.1 GB in bf16, 2.2 GB in float32). Other weight sources load the table and index it.
 */
final class EmbeddingTable {
    private final WeightSource source;
    private final String name;
    private final long rows;
    private final long dim;

    EmbeddingTable(WeightSource source, String name) {
        this.source = source;
        this.name = name;
        long[] shape = source.shape(name);
        if (shape.length != 2) {
            throw new IllegalArgumentException(name + " must be 2-D [vocab, hidden], found "
                    + java.util.Arrays.toString(shape));
        }
        this.rows = shape[0];
        this.dim = shape[1];
    }

    long rows() {
        return rows;
    }

    long dim() {
        return dim;
    }

    /** {@code embed_tokens(ids)}: (n, hidden) in {@code dtype}, in the current scope. */
    Tensor lookup(long[] ids, DType dtype, ComputeDevice device) throws IOException {
        for (long id : ids) {
            if (id < 0 || id >= rows) {
                throw new IllegalArgumentException("token id " + id + " is outside the embedding table (" + rows
                        + " rows)");
            }
        }
        Tensor out;
        try (TensorScope s = TensorScope.open()) {
            Tensor rowsTensor;
            if (source instanceof SafetensorsWeights sw) {
                TensorInfo info = sw.checkpoint().info(name);
                int rowBytes = Math.toIntExact(dim * info.dtype().bytes());
                ByteBuffer buf = ByteBuffer.allocateDirect(Math.multiplyExact(rowBytes, ids.length))
                        .order(ByteOrder.LITTLE_ENDIAN);
                List<ByteBuffer> chunks = sw.checkpoint().data(name);
                for (long id : ids) {
                    copy(chunks, id * rowBytes, rowBytes, buf);
                }
                buf.flip();
                Tensor raw = Ops.fromBytes(List.of(buf), info.dtype(), new long[] {ids.length, dim}, device);
                rowsTensor = Ops.cast(raw, dtype); // always a fresh tensor: nothing aliases the Java buffer
            } else {
                Tensor table = source.load(name, source.dtype(name), device);
                Tensor idx = Ops.fromLongs(ids, new long[] {ids.length}, device);
                rowsTensor = Ops.cast(table.take(idx), dtype);
            }
            out = s.keep(rowsTensor);
        }
        return out;
    }

    /** Copies {@code length} bytes at {@code offset} of the concatenated chunks into {@code dst}. */
    private static void copy(List<ByteBuffer> chunks, long offset, int length, ByteBuffer dst) {
        long start = 0;
        for (ByteBuffer c : chunks) {
            long end = start + c.limit();
            if (offset < end && length > 0) {
                int from = (int) (offset - start);
                int n = (int) Math.min(length, end - offset);
                ByteBuffer part = c.duplicate();
                part.position(from).limit(from + n);
                dst.put(part);
                offset += n;
                length -= n;
            }
            start = end;
        }
        if (length > 0) {
            throw new IllegalStateException("embedding data ended early");
        }
    }
}
