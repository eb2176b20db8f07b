package org.layered.weights.residency;

import org.layered.engine.ComputeDevice;
import org.layered.engine.DType;
import org.layered.engine.Ops;
import org.layered.engine.Tensor;
import org.layered.weights.WeightSource;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One weight group as a tier holds it: each tensor in the compute dtype, or, for the linear weights under
 * {@link WeightFormat#FP8}, as float8 values with a float32 scale per output channel. Its tensors belong to the scope
 * that was current when it was made.
 */
final class HeldGroup {
    private final WeightGroup group;
    private final Map<String, Tensor> plain;
    private final Map<String, Tensor[]> quantized; // local name -> {values, scale}

    private HeldGroup(WeightGroup group, Map<String, Tensor> plain, Map<String, Tensor[]> quantized) {
        this.group = group;
        this.plain = plain;
        this.quantized = quantized;
    }

    /**
     * Reads {@code group} from {@code source} into the current scope on {@code place} (the compute device, or the
     * host when the group is held there), converted to {@code dtype}, linear weights quantised when {@code format}
     * says so, and pinned when {@code pin} (host copies that a GPU reads).
     */
    static HeldGroup load(WeightSource source, WeightGroup group, DType dtype, ComputeDevice place,
            WeightFormat format, boolean pin) throws IOException {
        Map<String, Tensor> plain = new LinkedHashMap<>();
        Map<String, Tensor[]> quantized = new LinkedHashMap<>();
        for (String local : group.names()) {
            boolean fp8 = format == WeightFormat.FP8 && group.linear().contains(local);
            Tensor[] q = fp8 ? source.loadFp8(group.fullName(local), place) : null; // a pre-quantised file's own
            if (q == null && fp8 && !source.preQuantized()) {
                Tensor t = source.load(group.fullName(local), dtype, place);
                q = Ops.quantizeFp8(t);
                t.close();
            }
            if (q != null) {
                quantized.put(local, pin ? new Tensor[] {pinned(q[0]), pinned(q[1])} : q);
            } else {
                Tensor t = source.load(group.fullName(local), dtype, place);
                plain.put(local, pin ? pinned(t) : t);
            }
        }
        return new HeldGroup(group, plain, quantized);
    }

    private static Tensor pinned(Tensor t) {
        Tensor p = Ops.pinned(t);
        if (p != t) {
            t.close();
        }
        return p;
    }

    /** A copy on {@code device} in the current scope, still in the held form, issued without waiting. */
    HeldGroup copyTo(ComputeDevice device) {
        Map<String, Tensor> plainCopy = new LinkedHashMap<>();
        Map<String, Tensor[]> quantizedCopy = new LinkedHashMap<>();
        plain.forEach((k, t) -> plainCopy.put(k, Ops.toAsync(t, device)));
        quantized.forEach((k, q) -> quantizedCopy.put(k, new Tensor[] {Ops.toAsync(q[0], device),
                Ops.toAsync(q[1], device)}));
        return new HeldGroup(group, plainCopy, quantizedCopy);
    }

    /**
     * The group as model code uses it, in {@code dtype}: held tensors that already are are handed out as they are,
     * float8 weights are dequantised into the current scope.
     */
    GroupWeights materialize(DType dtype) {
        Map<String, Tensor> out = new LinkedHashMap<>(plain);
        quantized.forEach((k, q) -> out.put(k, Ops.dequantizeFp8(q[0], q[1], dtype)));
        return new GroupWeights(group, out);
    }

    WeightGroup group() {
        return group;
    }

    /** Bytes held. */
    long bytes() {
        long n = 0;
        for (Tensor t : plain.values()) {
            n += t.numel() * t.dtype().bytes();
        }
        for (Tensor[] q : quantized.values()) {
            n += q[0].numel() * q[0].dtype().bytes() + q[1].numel() * q[1].dtype().bytes();
        }
        return n;
    }
}
