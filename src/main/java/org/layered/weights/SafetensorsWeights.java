package org.layered.weights;

import org.layered.engine.ComputeDevice;
import org.layered.engine.DType;
import org.layered.engine.Ops;
import org.layered.engine.Tensor;
import org.layered.engine.TensorScope;
import org.layered.weights.safetensors.ShardedCheckpoint;
import org.layered.weights.safetensors.TensorInfo;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;

/** {@link WeightSource} over a (possibly sharded) safetensors checkpoint, as diffusers and transformers save it. */
public final class SafetensorsWeights implements WeightSource {
    private final ShardedCheckpoint checkpoint;

    private SafetensorsWeights(ShardedCheckpoint checkpoint) {
        this.checkpoint = checkpoint;
    }

    /** Opens a component folder (single file or {@code *.safetensors.index.json}) or one file. */
    public static SafetensorsWeights open(Path dirOrFile) throws IOException {
        return new SafetensorsWeights(ShardedCheckpoint.open(dirOrFile));
    }

    public ShardedCheckpoint checkpoint() {
        return checkpoint;
    }

    @Override
    public Set<String> names() {
        return checkpoint.names();
    }

    @Override
    public boolean contains(String name) {
        return checkpoint.contains(name);
    }

    @Override
    public long[] shape(String name) {
        return checkpoint.info(name).shape();
    }

    @Override
    public DType dtype(String name) {
        return checkpoint.info(name).dtype();
    }

    @Override
    public Tensor load(String name, DType dtype, ComputeDevice device) throws IOException {
        TensorInfo info = checkpoint.info(name);
        Tensor out;
        try (TensorScope tmp = TensorScope.open()) {
            Tensor stored = Ops.read(info.dtype(), info.shape(), device,
                    (offset, dst) -> checkpoint.read(name, offset, dst));
            out = tmp.keep(Ops.as(stored, dtype));
        }
        return out;
    }

    /** The checkpoint's file: the single safetensors file or the shard index. */
    @Override
    public String describe() {
        return checkpoint.source().toString();
    }

    @Override
    public void close() throws IOException {
        checkpoint.close();
    }
}
