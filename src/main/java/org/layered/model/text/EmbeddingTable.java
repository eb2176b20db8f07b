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

/**
 * The token embedding {@code embed_tokens.weight} [vocab, hidden], looked up without materialising the table: from
 * a safetensors checkpoint only the rows of the requested ids are read from the file (the 7B table is 1.1 GB in
 * bf16, 2.2 GB in float32). Other weight sources load the table and index it.
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
                long rowBytes = dim * info.dtype().bytes();
                Tensor raw = Ops.read(info.dtype(), new long[] {ids.length, dim}, device, (offset, dst) -> {
                    // dst covers output rows from offset on (a view may start or end inside a row)
                    while (dst.hasRemaining()) {
                        long row = offset / rowBytes;
                        long within = offset % rowBytes;
                        int n = (int) Math.min(dst.remaining(), rowBytes - within);
                        ByteBuffer part = dst.slice().limit(n);
                        sw.checkpoint().read(name, ids[(int) row] * rowBytes + within, part);
                        dst.position(dst.position() + n);
                        offset += n;
                    }
                });
                rowsTensor = Ops.as(raw, dtype);
            } else {
                Tensor table = source.load(name, source.dtype(name), device);
                Tensor idx = Ops.fromLongs(ids, new long[] {ids.length}, device);
                rowsTensor = Ops.as(table.take(idx), dtype);
            }
            out = s.keep(rowsTensor);
        }
        return out;
    }
}
