package org.layered.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.JniUtils;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

/**
 * The safe ops facade: tensor creation, dtype and device conversion, and the fused or dtype-taking ops, each routed
 * so that no bf16 dtype ever reaches DJL's native layer (which aborts the JVM on it). Results belong to the
 * current {@link TensorScope}.
 */
public final class Ops {
    private Ops() {}

    private static OpLibrary lib() {
        return TorchEngine.get().ops();
    }

    private static PtNDManager scopeManager() {
        return TensorScope.current().manager();
    }

    /** Calls an op library method; {@code out} is the dtype it produces, which DJL cannot name for bf16/float8. */
    private static Tensor call(String method, DType out, IValue... args) {
        return Tensor.wrap(lib().tensor(scopeManager(), method, args), out);
    }

    /**
     * Calls a linear-layer method on the library that computes {@code rows} rows of {@code x} (oneDNN's variant or
     * the default, {@link LinearKernel}).
     */
    private static Tensor callLinear(Tensor x, long rows, String method, IValue... args) {
        return Tensor.wrap(TorchEngine.get().opsForLinear(x, rows).tensor(scopeManager(), method, args), x.dtype());
    }

    private static long rows(Tensor x) {
        return x.numel() / Math.max(1, x.size(-1));
    }

    private static IValue iv(Tensor t) {
        return IValue.from(t.nd());
    }

    /** libtorch ScalarType codes. */
    static int torchCode(DType d) {
        return switch (d) {
            case U8 -> 0;
            case I8 -> 1;
            case I16 -> 2;
            case I32 -> 3;
            case I64 -> 4;
            case F16 -> 5;
            case F32 -> 6;
            case F64 -> 7;
            case BOOL -> 11;
            case BF16 -> 15;
            case F8_E4M3 -> 24;
        };
    }

    /** Our dtype of a libtorch ScalarType code. */
    static DType fromTorchCode(long code) {
        for (DType d : DType.values()) {
            if (torchCode(d) == code) {
                return d;
            }
        }
        throw new EngineException("unsupported libtorch dtype code " + code);
    }

    /** Whether DJL can name {@code d} (bf16 and float8 it reports as UNKNOWN). */
    static boolean djlNames(DType d) {
        return djlType(d) != null;
    }

    /** The dtype of a tensor DJL reports as UNKNOWN, asked from libtorch. */
    static DType dtypeCode(ai.djl.pytorch.engine.PtNDArray a) {
        return fromTorchCode(lib().integer("dtype_code", IValue.from(a)));
    }

    /** The strides (in elements) of {@code x}'s memory layout. */
    static long[] strides(Tensor x) {
        return lib().integers("strides", iv(x));
    }

    /** Whether {@code view} lies in {@code base}'s storage (checks of the accounting's view bookkeeping). */
    static boolean sharesStorage(Tensor base, ai.djl.pytorch.engine.PtNDArray view) {
        return lib().bool("shares_storage", iv(base), IValue.from(view));
    }

    /** DJL types for the dtypes DJL can represent; BF16 deliberately has none. */
    private static DataType djlType(DType d) {
        return switch (d) {
            case U8 -> DataType.UINT8;
            case I8 -> DataType.INT8;
            case I32 -> DataType.INT32;
            case I64 -> DataType.INT64;
            case F16 -> DataType.FLOAT16;
            case F32 -> DataType.FLOAT32;
            case F64 -> DataType.FLOAT64;
            case BOOL -> DataType.BOOLEAN;
            case I16, BF16, F8_E4M3 -> null;
        };
    }

    // ---- creation -----------------------------------------------------------------------------------------------

    /** Largest view of tensor memory handed to a {@link ByteSource} at once: a ByteBuffer holds under 2^31 bytes. */
    private static volatile long maxViewBytes = 1L << 30;

    /** Sets the view size of {@link #read} (tests use a few bytes); returns the previous value. */
    static long setMaxViewBytes(long bytes) {
        if (bytes < 8 || bytes > 1L << 30) {
            throw new IllegalArgumentException("view size must be in [8, 2^30], got " + bytes);
        }
        long old = maxViewBytes;
        maxViewBytes = bytes;
        return old;
    }

    /**
     * A tensor of {@code dtype} and {@code shape} whose bytes (little-endian, row-major, as stored in safetensors)
     * {@code source} writes straight into freshly allocated native memory, in views of at most 1 GiB; any dtype,
     * bf16 included, without a staging copy. Then moved to {@code device} when that is a GPU.
     *
     * <p>This is how weights are loaded: native code never reads a memory-mapped file, whose pages vanish when the
     * file shrinks (a SIGBUS inside libtorch would abort the JVM); a file read returns a short count instead, which
     * the source turns into an exception naming the file.
     *
     * @throws IOException whatever {@code source} throws; nothing stays allocated
     */
    public static Tensor read(DType dtype, long[] shape, ComputeDevice device, ByteSource source)
            throws IOException {
        long numel = 1;
        for (long d : shape) {
            numel = Math.multiplyExact(numel, d);
        }
        long perView = maxViewBytes / dtype.bytes();
        Tensor out;
        try (TensorScope tmp = TensorScope.open()) {
            Tensor flat = call("empty", dtype, IValue.listFrom(numel), IValue.from((long) torchCode(dtype)),
                    IValue.from(ComputeDevice.CPU.torchName()));
            for (long first = 0; first < numel; first += perView) {
                long end = Math.min(numel, first + perView);
                // a slice of a 1-D tensor is contiguous, so the buffer is a view of its memory, not of a copy
                Tensor view = first == 0 && end == numel ? flat : flat.slice(0, first, end);
                ByteBuffer dst = JniUtils.getByteBuffer(view.nd(), true).order(ByteOrder.LITTLE_ENDIAN);
                long expected = (end - first) * dtype.bytes();
                if (dst.capacity() != expected) {
                    throw new EngineException("tensor memory view has " + dst.capacity() + " bytes, expected "
                            + expected);
                }
                source.readInto(first * dtype.bytes(), dst);
                if (dst.hasRemaining()) {
                    throw new IOException("byte source left " + dst.remaining() + " of " + expected
                            + " bytes unwritten");
                }
            }
            Tensor shaped = flat.reshape(shape);
            out = tmp.keep(device.isCuda() ? to(shaped, device) : shaped);
        }
        return out;
    }

    /**
     * A tensor over raw little-endian bytes the caller allocated, possibly split in chunks under 2 GiB. A single
     * direct chunk of a DJL-representable type is used without copying: the tensor aliases the buffer, which must
     * then outlive it. bf16 and chunked data are assembled natively. Never pass a file mapping (see {@link #read});
     * only the load benchmark does, to measure the old loader as its reference.
     */
    public static Tensor fromBytes(List<ByteBuffer> chunks, DType dtype, long[] shape, ComputeDevice device) {
        long total = 0;
        for (ByteBuffer b : chunks) {
            total += b.remaining();
        }
        long expected = dtype.bytes();
        for (long d : shape) {
            expected = Math.multiplyExact(expected, d);
        }
        if (total != expected) {
            throw new IllegalArgumentException("byte count " + total + " does not match " + dtype + " "
                    + Arrays.toString(shape) + " (" + expected + " bytes)");
        }
        Tensor out;
        try (TensorScope tmp = TensorScope.open()) {
            DataType direct = djlType(dtype);
            Tensor t;
            if (chunks.size() == 1 && direct != null && chunks.get(0).isDirect()) {
                t = Tensor.wrap(scopeManager().create(native_(chunks.get(0)), new Shape(shape), direct));
            } else {
                Tensor raw = rawBytes(chunks);
                t = call("from_bytes", dtype, iv(raw), IValue.from((long) torchCode(dtype)), IValue.listFrom(shape));
            }
            out = tmp.keep(device.isCuda() ? to(t, device) : t);
        }
        return out;
    }

    private static Tensor rawBytes(List<ByteBuffer> chunks) {
        PtNDManager m = scopeManager();
        if (chunks.size() == 1) {
            ByteBuffer b = chunks.get(0);
            return Tensor.wrap(m.create(native_(b), new Shape(b.remaining()), DataType.UINT8));
        }
        IValue[] parts = new IValue[chunks.size()];
        try {
            for (int i = 0; i < parts.length; i++) {
                ByteBuffer b = chunks.get(i);
                parts[i] = IValue.from(m.create(native_(b), new Shape(b.remaining()), DataType.UINT8));
            }
            return call("cat", DType.U8, IValue.listFrom(parts), IValue.from(0L));
        } finally {
            closeAll(parts);
        }
    }

    private static ByteBuffer native_(ByteBuffer b) {
        ByteBuffer d = b;
        if (!b.isDirect()) {
            d = ByteBuffer.allocateDirect(b.remaining());
            d.put(b.duplicate());
            d.flip();
        }
        return d.slice().order(ByteOrder.nativeOrder());
    }

    /** A float32 tensor holding {@code values} (copied) on {@code device}. */
    public static Tensor fromFloats(float[] values, long[] shape, ComputeDevice device) {
        Tensor t = Tensor.wrap(scopeManager().create(values, new Shape(shape)));
        return device.isCuda() ? to(t, device) : t;
    }

    /** A float64 tensor. */
    public static Tensor fromDoubles(double[] values, long[] shape, ComputeDevice device) {
        Tensor t = Tensor.wrap(scopeManager().create(values, new Shape(shape)));
        return device.isCuda() ? to(t, device) : t;
    }

    /** An int64 tensor. */
    public static Tensor fromLongs(long[] values, long[] shape, ComputeDevice device) {
        Tensor t = Tensor.wrap(scopeManager().create(values, new Shape(shape)));
        return device.isCuda() ? to(t, device) : t;
    }

    /** A bool tensor. */
    public static Tensor fromBooleans(boolean[] values, long[] shape, ComputeDevice device) {
        Tensor t = Tensor.wrap(scopeManager().create(values, new Shape(shape)));
        return device.isCuda() ? to(t, device) : t;
    }

    public static Tensor zeros(long[] shape, DType dtype, ComputeDevice device) {
        return call("zeros", dtype, IValue.listFrom(shape), IValue.from((long) torchCode(dtype)),
                IValue.from(device.torchName()));
    }

    public static Tensor full(long[] shape, double value, DType dtype, ComputeDevice device) {
        return call("full", dtype, IValue.listFrom(shape), IValue.from(value), IValue.from((long) torchCode(dtype)),
                IValue.from(device.torchName()));
    }

    /** Standard normal float32 samples from libtorch's default generator (benchmarks, random test weights). */
    public static Tensor randomNormal(long[] shape, ComputeDevice device) {
        Tensor t = Tensor.wrap(scopeManager().randomNormal(0f, 1f, new Shape(shape), DataType.FLOAT32));
        return device.isCuda() ? to(t, device) : t;
    }

    /**
     * Standard normal float32 samples drawn on the CPU from libtorch's default generator after seeding it with
     * {@code seed} — the same numbers as {@code torch.randn(shape, generator=torch.Generator("cpu").manual_seed(seed))}
     * in Python, which is how diffusers draws initial noise. The generator is process-global, hence the lock.
     */
    public static Tensor seededNormal(long seed, long[] shape, ComputeDevice device) {
        Tensor t;
        synchronized (Ops.class) {
            JniUtils.setSeed(seed);
            NDArray r = scopeManager().randomNormal(0f, 1f, new Shape(shape), DataType.FLOAT32);
            t = Tensor.wrap(r);
        }
        return device.isCuda() ? to(t, device) : t;
    }

    // ---- conversion ---------------------------------------------------------------------------------------------

    /** The same values as {@code dtype} (a new tensor even when the dtype already matches). */
    public static Tensor cast(Tensor x, DType dtype) {
        return call("cast", dtype, iv(x), IValue.from((long) torchCode(dtype)));
    }

    /** {@code x} in {@code dtype}, or {@code x} itself when it already has it. */
    public static Tensor as(Tensor x, DType dtype) {
        return x.dtype() == dtype ? x : cast(x, dtype);
    }

    /** A copy on {@code device}. */
    public static Tensor to(Tensor x, ComputeDevice device) {
        return call("to_device", x.dtype(), iv(x), IValue.from(device.torchName()));
    }

    /**
     * A copy on {@code device} issued without waiting for it: from pinned host memory the copy overlaps the host
     * thread's work (it is ordered with later kernels on the same CUDA stream); otherwise the same as {@link #to}.
     */
    public static Tensor toAsync(Tensor x, ComputeDevice device) {
        return call("to_device_async", x.dtype(), iv(x), IValue.from(device.torchName()));
    }

    /**
     * A page-locked (pinned) host copy of {@code x}, which CUDA copies from at full bus speed and asynchronously;
     * {@code x} itself when the libtorch in use has no CUDA (pinning needs a CUDA device).
     */
    public static Tensor pinned(Tensor x) {
        if (x.device().isCuda() || !TorchEngine.get().hasCuda()) {
            return x;
        }
        return call("pin", x.dtype(), iv(x));
    }

    // ---- float8 weight storage ------------------------------------------------------------------------------

    /**
     * Per-output-channel float8 (e4m3fn) quantisation of a weight [out, in]: {@code scale = amax(|row|) / 448} (float32
     * [out, 1]) and {@code values = w / scale} rounded to float8. Returns {values, scale}.
     */
    public static Tensor[] quantizeFp8(Tensor weight) {
        if (weight.rank() != 2) {
            throw new IllegalArgumentException("float8 quantisation takes a 2-D weight [out, in], got "
                    + Arrays.toString(weight.shape()));
        }
        Tensor scale = call("fp8_scales", DType.F32, iv(weight));
        Tensor values = call("fp8_quantize", DType.F8_E4M3, iv(weight), iv(scale));
        return new Tensor[] {values, scale};
    }

    /** {@code values * scale} in {@code dtype}: one fused op, computed in float32 and rounded once. */
    public static Tensor dequantizeFp8(Tensor values, Tensor scale, DType dtype) {
        return call("fp8_dequantize", dtype, iv(values), iv(scale), IValue.from((long) torchCode(dtype)));
    }

    /**
     * The same values of an (N, C, H, W) tensor laid out channels-last (NHWC in memory, the shape unchanged), the
     * layout oneDNN's and cuDNN's convolutions run fastest in; convolutions, norms, elementwise ops and nearest
     * upsampling keep it. {@code x} itself when it is laid out so already.
     */
    public static Tensor channelsLast(Tensor x) {
        if (x.rank() != 4) {
            throw new IllegalArgumentException("channels-last needs an (N, C, H, W) tensor, got " + x);
        }
        return call("channels_last", x.dtype(), iv(x));
    }

    /** The same values in the standard row-major layout ({@code x} itself when already so laid out). */
    public static Tensor contiguous(Tensor x) {
        return call("contiguous", x.dtype(), iv(x));
    }

    // ---- checks -------------------------------------------------------------------------------------------------

    /**
     * Whether every element is finite (no NaN, no infinity): one fused reduction, any dtype, a single value read
     * back. The pipeline calls it once per denoising step.
     */
    public static boolean allFinite(Tensor x) {
        try (TensorScope s = TensorScope.open()) {
            return call("all_finite", DType.BOOL, iv(x)).nd().getBoolean();
        }
    }

    // ---- fused and dtype-taking ops ---------------------------------------------------------------------------

    public static Tensor concat(List<Tensor> xs, int axis) {
        IValue[] parts = new IValue[xs.size()];
        try {
            for (int i = 0; i < parts.length; i++) {
                parts[i] = iv(xs.get(i));
            }
            return call("cat", unnamed(xs), IValue.listFrom(parts), IValue.from((long) axis));
        } finally {
            closeAll(parts); // a list IValue does not own its elements' handles: each holds a tensor reference
        }
    }

    /** The dtype DJL cannot name among {@code xs} (the result's, when DJL cannot name it either). */
    private static DType unnamed(List<Tensor> xs) {
        for (Tensor t : xs) {
            if (!djlNames(t.dtype())) {
                return t.dtype();
            }
        }
        return xs.get(0).dtype();
    }

    private static void closeAll(IValue[] values) {
        for (IValue v : values) {
            if (v != null) {
                v.close();
            }
        }
    }

    public static Tensor softmax(Tensor x, int axis) {
        return call("softmax", x.dtype(), iv(x), IValue.from((long) axis));
    }

    /**
     * Fused scaled-dot-product attention, {@code softmax(q k^T / sqrt(d) + mask) v}, on (..., L, d) tensors.
     *
     * @param mask null, a bool tensor (true = may attend) or an additive float tensor, broadcastable to (..., Lq, Lk)
     */
    public static Tensor attention(Tensor q, Tensor k, Tensor v, Tensor mask) {
        OpFlops.add(OpFlops.attention(q, k, v));
        if (mask == null) {
            return call("sdpa", q.dtype(), iv(q), iv(k), iv(v));
        }
        Tensor m = mask.dtype() == DType.BOOL ? mask : as(mask, q.dtype());
        return call("sdpa_masked", q.dtype(), iv(q), iv(k), iv(v), iv(m));
    }

    /** {@code x / sqrt(mean(x^2, axis) + eps)}, computed in float32 and returned in x's dtype (no weight). */
    public static Tensor rmsNormalize(Tensor x, int axis, double eps) {
        return call("rms_normalize", x.dtype(), iv(x), IValue.from((long) axis), IValue.from(eps));
    }

    /**
     * RMS norm with weight over the last dimension, {@code x / sqrt(mean(x^2) + eps) * weight} (diffusers' and
     * Qwen2's RMSNorm): statistics in float32, the normalised value rounded to x's dtype, then times the weight;
     * one fresh tensor (the composition {@code rmsNormalize(x).mul(weight)} makes three).
     */
    public static Tensor rmsNorm(Tensor x, Tensor weight, double eps) {
        return call("rms_norm", x.dtype(), iv(x), iv(weight), IValue.from(eps));
    }

    /**
     * The VAE's channel RMS norm of (N, C, H, W), {@code x / max(||x||_2 over C, 1e-12) * gamma}, optionally followed by
     * SiLU, in one op: reduced-precision inputs are normalised in float32 and rounded before the scaling (as
     * upstream); the scaling and SiLU run in place, so the result is the only fresh tensor, with the values of the
     * composition {@code silu(l2Normalize(x, 1).mul(gamma))}.
     *
     * @param gamma (C, 1, 1) per-channel factor
     */
    public static Tensor channelRmsNorm(Tensor x, Tensor gamma, boolean silu) {
        return call("channel_rms_norm", x.dtype(), iv(x), iv(gamma), IValue.from(silu));
    }

    /** {@code x / max(||x||_2 over axis, eps)} (torch.nn.functional.normalize). */
    public static Tensor l2Normalize(Tensor x, int axis, double eps) {
        return call("l2_normalize", x.dtype(), iv(x), IValue.from((long) axis), IValue.from(eps));
    }

    /** LayerNorm over the last dimension without affine parameters. */
    public static Tensor layerNorm(Tensor x, double eps) {
        return call("layer_norm", x.dtype(), iv(x), IValue.from(x.size(-1)), IValue.from(eps));
    }

    /**
     * AdaLN modulation, {@code LayerNorm(x) * (1 + scale) + shift} with LayerNorm over the last dimension without
     * affine parameters: two kernels (the norm, then one multiply-add into its own output), one fresh tensor.
     *
     * @param x     (B, T, D)
     * @param shift (B, 1, D), or anything that broadcasts
     * @param scale like {@code shift}
     */
    public static Tensor layerNormModulate(Tensor x, Tensor shift, Tensor scale, double eps) {
        return call("layer_norm_modulate", x.dtype(), iv(x), iv(shift), iv(scale), IValue.from(eps));
    }

    public static Tensor groupNorm(Tensor x, int groups, Tensor weight, Tensor bias, double eps) {
        return call("group_norm", x.dtype(), iv(x), IValue.from((long) groups), iv(weight), iv(bias), IValue.from(eps));
    }

    /**
     * {@code a @ b} written into {@code out} (same shape and dtype as the product): no fresh memory, so a benchmark
     * times the arithmetic, not the page faults of a new result. Returns a handle on {@code out}.
     */
    static Tensor matmulInto(Tensor a, Tensor b, Tensor out) {
        OpFlops.add(OpFlops.matmul(a, out));
        return call("matmul_into", out.dtype(), iv(a), iv(b), iv(out));
    }

    /** {@code x W^T + b} with the weight in PyTorch's [out, in] layout; {@code bias} may be null. */
    public static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
        OpFlops.add(OpFlops.linear(x, weight));
        return bias == null ? callLinear(x, rows(x), "linear", iv(x), iv(weight))
                : callLinear(x, rows(x), "linear_bias", iv(x), iv(weight), iv(bias));
    }

    /**
     * A gated residual after a linear layer, {@code x + gate * (a W^T + b)}: the multiply-add is written into the
     * linear layer's output, so the new stream is the only fresh tensor.
     */
    public static Tensor linearGatedResidual(Tensor x, Tensor gate, Tensor a, Tensor weight, Tensor bias) {
        OpFlops.add(OpFlops.linear(a, weight));
        return callLinear(a, rows(a), "linear_gated_residual", iv(x), iv(gate), iv(a), iv(weight), iv(bias));
    }

    /**
     * {@code gelu_tanh(a W^T + b)}, the GELU in place on the linear layer's output: the feed-forward's wide hidden
     * layer as the only fresh tensor (the second layer is {@link #linearGatedResidual}).
     */
    public static Tensor linearGeluTanh(Tensor a, Tensor weight, Tensor bias) {
        OpFlops.add(OpFlops.linear(a, weight));
        return callLinear(a, rows(a), "linear_gelu_tanh", iv(a), iv(weight), iv(bias));
    }

    /**
     * Two token streams projected by their own linear layers straight into one joint sequence, first stream first,
     * laid out as attention heads: (B, n1 + n2, D) viewed as (B, heads, n1 + n2, D / heads). No concatenation copy:
     * each projection writes its rows of the joint tensor.
     */
    public static Tensor jointHeads(Tensor first, Tensor second, Tensor w1, Tensor b1, Tensor w2, Tensor b2,
            int heads) {
        OpFlops.add(OpFlops.linear(first, w1) + OpFlops.linear(second, w2));
        return callLinear(first, rows(first) + rows(second), "joint_heads", iv(first), iv(second), iv(w1), iv(b1),
                iv(w2), iv(b2), IValue.from((long) heads));
    }

    /**
     * Rotary position embedding of (B, S, H, D) in one op, as upstream's {@code apply_rotary_emb_qwen}: the
     * interleaved pairs {@code (x[2p], x[2p+1])} multiplied as complex numbers by
     * {@code rope[..., p, 0] + i rope[..., p, 1]} in float32, the result in x's dtype.
     *
     * @param rope float32 (1, S, 1, D / 2, 2): cos and sin per token and pair
     */
    public static Tensor rotaryEmbedding(Tensor x, Tensor rope) {
        return call("rotary_embedding", x.dtype(), iv(x), iv(rope));
    }

    /**
     * As {@link #jointHeads}, then per head an RMS norm with the stream's weight ({@link #rmsNorm}) and the rotary
     * embedding of the stream's positions, all in place on the joint tensor: one fresh tensor for q (or k) of both
     * streams. The rotation is {@link #rotaryEmbedding}'s: a complex multiply in place in float32; in other dtypes
     * through float32 in chunks of 256 tokens, so its temporaries stay small.
     *
     * @param rope1 float32 (1, n1, 1, D / heads / 2, 2): cos and sin per token and pair of the first stream
     * @param rope2 the same for the second stream
     */
    public static Tensor jointQk(Tensor first, Tensor second, Tensor w1, Tensor b1, Tensor w2, Tensor b2,
            Tensor norm1, Tensor norm2, Tensor rope1, Tensor rope2, int heads, double eps) {
        OpFlops.add(OpFlops.linear(first, w1) + OpFlops.linear(second, w2));
        return callLinear(first, rows(first) + rows(second), "joint_qk", iv(first), iv(second), iv(w1), iv(b1),
                iv(w2), iv(b2), iv(norm1), iv(norm2), iv(rope1), iv(rope2), IValue.from((long) heads),
                IValue.from(eps));
    }

    /**
     * 2-D convolution, weight [out, in, kh, kw]. On the CPU, reduced-precision inputs are convolved in float32 and
     * the result rounded once: libtorch 2.7.1's oneDNN bf16 3x3 convolution returns wrong, run-to-run different
     * values on some CPUs (seen on an AVX512-BF16 AMD EPYC), and float32 accumulation is what a correct bf16 kernel
     * computes anyway.
     */
    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, int stride, int padding) {
        boolean reduced = x.dtype() == DType.BF16 || x.dtype() == DType.F16;
        if (reduced && !x.device().isCuda()) {
            try (TensorScope s = TensorScope.open()) {
                Tensor y = conv2d(cast(x, DType.F32), cast(weight, DType.F32), cast(bias, DType.F32), stride,
                        padding);
                return s.keep(cast(y, x.dtype()));
            }
        }
        Tensor y = call("conv2d", x.dtype(), iv(x), iv(weight), iv(bias), IValue.listFrom(stride, stride),
                IValue.listFrom(padding, padding));
        OpFlops.add(OpFlops.convolution(weight, y));
        return y;
    }

    /** Exact (erf) GELU. */
    public static Tensor gelu(Tensor x) {
        return call("gelu", x.dtype(), iv(x));
    }

    /** GELU with the tanh approximation. */
    public static Tensor geluTanh(Tensor x) {
        return call("gelu_tanh", x.dtype(), iv(x));
    }

    public static Tensor silu(Tensor x) {
        return call("silu", x.dtype(), iv(x));
    }

    /** Nearest-neighbour resize of the last two dimensions of an (N, C, H, W) tensor. */
    public static Tensor upsampleNearest(Tensor x, long height, long width) {
        return call("upsample_nearest2d", x.dtype(), iv(x), IValue.listFrom(height, width));
    }
}
