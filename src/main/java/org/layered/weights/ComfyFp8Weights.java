package org.layered.weights;

import org.layered.engine.ComputeDevice;
import org.layered.engine.DType;
import org.layered.engine.Ops;
import org.layered.engine.Tensor;
import org.layered.engine.TensorScope;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A checkpoint in ComfyUI's float8 layout (its {@code QUANTIZATION.md} and {@code comfy/utils.py}), as the float8
 * diffusion-model files ComfyUI users download are written, e.g. {@code qwen_image_layered_fp8mixed.safetensors}:
 * a linear layer {@code L} quantised to float8 holds {@code L.weight} as {@code F8_E4M3} and its scale as
 * {@code L.weight_scale} (or {@code L.scale_weight} in the older "scaled fp8" files), one float32 for the whole
 * tensor or one per output row; layers left in bf16 ("mixed") are stored as usual. The per-layer descriptions
 * ({@code L.comfy_quant} JSON bytes, the {@code _quantization_metadata} header entry, the {@code scaled_fp8}
 * marker) and the activation scales ({@code L.input_scale}, {@code L.scale_input}, meant for float8 matmuls) are not
 * needed to read the weights and are skipped; a {@code model.diffusion_model.} prefix is dropped.
 *
 * <p>Names are the diffusers names. {@link #load} dequantises ({@code values * scale} in float32, rounded once);
 * {@link #loadFp8} hands the stored values with their scale per row to float8 residency as they are, so a
 * pre-quantised file is held without quantising it again, and the layers it left in bf16 stay bf16.
 */
public final class ComfyFp8Weights implements WeightSource {
    private static final String PREFIX = "model.diffusion_model.";
    private static final List<String> SCALES = List.of("weight_scale", "scale_weight");
    private static final List<String> SKIPPED = List.of("comfy_quant", "input_scale", "scale_input");

    private final SafetensorsWeights file;
    private final String prefix;
    private final Map<String, String> scales; // diffusers weight name -> stored scale name
    private final Set<String> names;

    private ComfyFp8Weights(SafetensorsWeights file, String prefix, Map<String, String> scales, Set<String> names) {
        this.file = file;
        this.prefix = prefix;
        this.scales = scales;
        this.names = Collections.unmodifiableSet(names);
    }

    /**
     * The weights of {@code dirOrFile}: in ComfyUI's float8 layout when the checkpoint has float8 tensors, scale
     * tensors or quantisation markers, else as stored ({@link SafetensorsWeights}).
     */
    public static WeightSource open(Path dirOrFile) throws IOException {
        SafetensorsWeights w = SafetensorsWeights.open(dirOrFile);
        try {
            return isQuantized(w) ? of(w) : w;
        } catch (IOException | RuntimeException e) {
            w.close();
            throw e;
        }
    }

    /** Whether {@code w} holds float8 tensors or ComfyUI's quantisation markers. */
    static boolean isQuantized(SafetensorsWeights w) {
        if (w.checkpoint().metadata().containsKey("_quantization_metadata")) {
            return true;
        }
        for (String n : w.names()) {
            if (w.dtype(n) == DType.F8_E4M3 || n.endsWith(".comfy_quant") || n.endsWith(".weight_scale")
                    || n.endsWith(".scale_weight") || n.equals("scaled_fp8") || n.equals(PREFIX + "scaled_fp8")) {
                return true;
            }
        }
        return false;
    }

    private static ComfyFp8Weights of(SafetensorsWeights w) throws IOException {
        String prefix = w.names().stream().allMatch(n -> n.startsWith(PREFIX)) ? PREFIX : "";
        Map<String, String> scales = new TreeMap<>();
        Set<String> names = new TreeSet<>();
        for (String stored : w.names()) {
            String n = stored.substring(prefix.length());
            String last = n.substring(n.lastIndexOf('.') + 1);
            if (n.equals("scaled_fp8") || SKIPPED.contains(last) || SCALES.contains(last)) {
                continue;
            }
            names.add(n);
            if (w.dtype(stored) != DType.F8_E4M3) {
                continue;
            }
            String layer = n.endsWith(".weight") ? n.substring(0, n.length() - "weight".length()) : null;
            long[] shape = w.shape(stored);
            if (layer == null || shape.length != 2) {
                throw new IOException(w.describe() + ": float8 tensor " + stored + " " + java.util.Arrays.toString(
                        shape) + " is not a linear layer's weight [out, in]: not a layout Layered reads");
            }
            for (String s : SCALES) {
                String scale = prefix + layer + s;
                if (w.contains(scale)) {
                    long count = w.checkpoint().info(scale).numel();
                    if (count != 1 && count != shape[0]) {
                        throw new IOException(w.describe() + ": " + scale + " has " + count + " values; Layered "
                                + "reads one scale per tensor or per output row (" + shape[0] + ")");
                    }
                    scales.put(n, scale);
                }
            }
        }
        return new ComfyFp8Weights(w, prefix, scales, names);
    }

    /** The diffusers names of the weights that are stored as float8. */
    public Set<String> quantized() {
        Set<String> out = new TreeSet<>();
        for (String n : names) {
            if (file.dtype(prefix + n) == DType.F8_E4M3) {
                out.add(n);
            }
        }
        return out;
    }

    @Override
    public Set<String> names() {
        return names;
    }

    @Override
    public boolean contains(String name) {
        return names.contains(name);
    }

    @Override
    public long[] shape(String name) {
        return file.shape(stored(name));
    }

    @Override
    public DType dtype(String name) {
        return file.dtype(stored(name));
    }

    private String stored(String name) {
        if (!names.contains(name)) {
            throw new IllegalArgumentException(file.describe() + " has no tensor " + name);
        }
        return prefix + name;
    }

    @Override
    public Tensor load(String name, DType dtype, ComputeDevice device) throws IOException {
        Tensor out;
        try (TensorScope s = TensorScope.open()) {
            Tensor[] q = loadFp8(name, device);
            out = s.keep(q == null ? file.load(stored(name), dtype, device) : Ops.dequantizeFp8(q[0], q[1], dtype));
        }
        return out;
    }

    @Override
    public Tensor[] loadFp8(String name, ComputeDevice device) throws IOException {
        if (dtype(name) != DType.F8_E4M3) {
            return null;
        }
        Tensor[] out = new Tensor[2];
        try (TensorScope s = TensorScope.open()) {
            out[0] = s.keep(file.load(stored(name), DType.F8_E4M3, device));
            out[1] = s.keep(rowScales(name, shape(name)[0], device));
        }
        return out;
    }

    /** The scale as one float32 per output row [rows, 1]: a tensor-wide scale repeated, 1 when none is stored. */
    private Tensor rowScales(String name, long rows, ComputeDevice device) throws IOException {
        String scale = scales.get(name);
        if (scale == null) {
            return Ops.full(new long[] {rows, 1}, 1.0, DType.F32, device);
        }
        Tensor t = file.load(scale, DType.F32, device);
        return t.numel() == 1 ? t.reshape(1, 1).broadcast(rows, 1).copy() : t.reshape(rows, 1);
    }

    @Override
    public boolean preQuantized() {
        return true;
    }

    @Override
    public String describe() {
        return file.describe() + " (ComfyUI float8 layout)";
    }

    @Override
    public void close() throws IOException {
        file.close();
    }
}
