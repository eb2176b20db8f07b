package org.layered.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;

import java.util.Arrays;
import java.util.concurrent.atomic.LongAdder;

/**
 * A tensor as model code sees it: an immutable value on a device, owned by the {@link TensorScope} that was
 * innermost when it was created.
 *
 * <p>Only operations that are safe for every dtype, bf16 included, are offered here; dtype conversions and
 * dtype-taking ops (softmax and friends) are in {@link Ops}, which routes them through the TorchScript op library.
 * The DJL array inside never leaves the engine package, so model code cannot reach a JVM-aborting DJL call.
 */
public final class Tensor implements AutoCloseable {
    private static final LongAdder CREATED = new LongAdder();

    private PtNDArray nd;
    private final DType dtype;
    private final MemoryAccounting.Storage storage; // null when memory accounting was off at creation

    private Tensor(PtNDArray nd, DType dtype, MemoryAccounting.Storage storage) {
        this.nd = nd;
        this.dtype = dtype;
        this.storage = storage;
    }

    /**
     * Wraps a DJL result with storage of its own into the current scope. Its dtype is DJL's when DJL can name it;
     * DJL reports bf16 and float8 tensors as UNKNOWN, so then the op library is asked (one call).
     */
    static Tensor wrap(NDArray result) {
        return wrap(result, null);
    }

    /**
     * As {@link #wrap(NDArray)}, with the dtype the op is known to produce when DJL cannot name it ({@code ifUnknown};
     * null = ask the op library).
     */
    static Tensor wrap(NDArray result, DType ifUnknown) {
        PtNDArray pt = attachToScope(result);
        DType d = dtypeOf(pt, ifUnknown);
        MemoryAccounting.Storage st = MemoryAccounting.isOn()
                ? MemoryAccounting.fresh(pt.getDevice().isGpu() ? "cuda:" + pt.getDevice().getDeviceId() : "cpu",
                Math.multiplyExact(pt.getShape().size(), (long) d.bytes())) : null;
        return register(new Tensor(pt, d, st));
    }

    /** Wraps a DJL result that is a view of this tensor's storage (same dtype unless DJL names another). */
    private Tensor view(NDArray result) {
        PtNDArray pt = attachToScope(result);
        if (EngineChecks.enabled()) {
            EngineChecks.requireView(this, pt);
        }
        return register(new Tensor(pt, dtypeOf(pt, dtype), storage == null ? null : storage.share()));
    }

    /** A reshape result: a view when libtorch could reshape without copying, else fresh memory. */
    private Tensor reshaped(NDArray result, long[] newShape) {
        if (storage != null && !Strides.viewable(shape(), Ops.strides(this), newShape)) {
            return wrap(result, dtype);
        }
        return view(result);
    }

    private static PtNDArray attachToScope(NDArray result) {
        TensorScope scope = TensorScope.current();
        PtNDArray pt = (PtNDArray) result;
        if (pt.getManager() != scope.manager()) {
            pt.attach(scope.manager());
        }
        return pt;
    }

    private static Tensor register(Tensor t) {
        TensorScope.current().register(t);
        CREATED.increment();
        return t;
    }

    /**
     * How many tensors the engine has handed out in this JVM (every op result, views included): benchmarks take the
     * difference around a forward to count the op results it creates.
     */
    public static long createdCount() {
        return CREATED.sum();
    }

    /** Our dtype for a DJL array: DJL's when it knows it, else {@code ifUnknown}, else the op library's answer. */
    private static DType dtypeOf(PtNDArray a, DType ifUnknown) {
        DataType d = a.getDataType();
        if (d == DataType.UNKNOWN) {
            if (ifUnknown == null) {
                return Ops.dtypeCode(a);
            }
            if (EngineChecks.enabled()) {
                EngineChecks.requireDtype(a, ifUnknown);
            }
            return ifUnknown;
        }
        return switch (d) {
            case FLOAT64 -> DType.F64;
            case FLOAT32 -> DType.F32;
            case FLOAT16 -> DType.F16;
            case INT64 -> DType.I64;
            case INT32 -> DType.I32;
            case INT8 -> DType.I8;
            case UINT8 -> DType.U8;
            case BOOLEAN -> DType.BOOL;
            default -> throw new EngineException("unsupported tensor type " + d);
        };
    }

    /** The dtype of an elementwise result of two operands that DJL cannot name: the one DJL cannot name. */
    private static DType unnamed(Tensor a, Tensor b) {
        return Ops.djlNames(a.dtype) ? b.dtype : a.dtype;
    }

    PtNDArray nd() {
        if (nd == null) {
            throw new IllegalStateException("tensor was closed");
        }
        return nd;
    }

    void moveTo(TensorScope scope) {
        nd().attach(scope.manager());
    }

    // ---- description -------------------------------------------------------------------------------------------

    public DType dtype() {
        return dtype;
    }

    public long[] shape() {
        return nd().getShape().getShape();
    }

    /** Size of dimension {@code axis} (negative counts from the end). */
    public long size(int axis) {
        long[] s = shape();
        return s[axis < 0 ? s.length + axis : axis];
    }

    public int rank() {
        return nd().getShape().dimension();
    }

    public long numel() {
        return nd().getShape().size();
    }

    public ComputeDevice device() {
        return new ComputeDevice(nd().getDevice());
    }

    public boolean isClosed() {
        return nd == null;
    }

    // ---- elementwise arithmetic (broadcasting as in torch) -----------------------------------------------------

    public Tensor add(Tensor o) {
        return wrap(nd().add(o.nd()), unnamed(this, o));
    }

    public Tensor sub(Tensor o) {
        return wrap(nd().sub(o.nd()), unnamed(this, o));
    }

    public Tensor mul(Tensor o) {
        return wrap(nd().mul(o.nd()), unnamed(this, o));
    }

    public Tensor div(Tensor o) {
        return wrap(nd().div(o.nd()), unnamed(this, o));
    }

    public Tensor add(double v) {
        return wrap(nd().add(v), dtype);
    }

    public Tensor mul(double v) {
        return wrap(nd().mul(v), dtype);
    }

    public Tensor div(double v) {
        return wrap(nd().div(v), dtype);
    }

    public Tensor neg() {
        return wrap(nd().neg(), dtype);
    }

    public Tensor exp() {
        return wrap(nd().exp(), dtype);
    }

    public Tensor sqrt() {
        return wrap(nd().sqrt(), dtype);
    }

    public Tensor square() {
        return wrap(nd().square(), dtype);
    }

    public Tensor pow(double p) {
        return wrap(nd().pow(p), dtype);
    }

    public Tensor sin() {
        return wrap(nd().sin(), dtype);
    }

    public Tensor cos() {
        return wrap(nd().cos(), dtype);
    }

    public Tensor tanh() {
        return wrap(nd().tanh(), dtype);
    }

    public Tensor sigmoid() {
        return wrap(nd().getNDArrayInternal().sigmoid(), dtype);
    }

    public Tensor clamp(double min, double max) {
        return wrap(nd().clip(min, max), dtype);
    }

    /** Elementwise maximum with another tensor. */
    public Tensor maximum(Tensor o) {
        return wrap(nd().maximum(o.nd()), unnamed(this, o));
    }

    /** Matrix product with torch.matmul broadcasting. */
    public Tensor matmul(Tensor o) {
        Tensor y = wrap(nd().matMul(o.nd()), unnamed(this, o));
        OpFlops.add(OpFlops.matmul(this, y));
        return y;
    }

    // ---- reductions ---------------------------------------------------------------------------------------------

    public Tensor sum(int[] axes, boolean keepDims) {
        return wrap(nd().sum(axes, keepDims), dtype);
    }

    public Tensor mean(int[] axes, boolean keepDims) {
        return wrap(nd().mean(axes, keepDims), dtype);
    }

    /** Maximum over the axes. */
    public Tensor max(int[] axes, boolean keepDims) {
        return wrap(nd().max(axes, keepDims), dtype);
    }

    /** Largest absolute value over all elements, as a Java double (any dtype). */
    public double maxAbs() {
        try (TensorScope s = TensorScope.open()) {
            Tensor f = Ops.cast(this, DType.F32);
            return f.nd().abs().max().getFloat();
        }
    }

    // ---- shape --------------------------------------------------------------------------------------------------

    public Tensor reshape(long... shape) {
        return reshaped(nd().reshape(new Shape(shape)), shape);
    }

    /** Reorders dimensions (torch.permute). */
    public Tensor permute(int... axes) {
        return view(nd().transpose(axes));
    }

    /** Swaps two dimensions (torch.transpose). */
    public Tensor transpose(int a, int b) {
        return view(nd().swapAxes(a, b));
    }

    /** Inserts a dimension of size 1. */
    public Tensor unsqueeze(int axis) {
        return view(nd().expandDims(axis));
    }

    /** Removes a dimension of size 1. */
    public Tensor squeeze(int axis) {
        return view(nd().squeeze(axis));
    }

    /** Elements {@code start <= i < end} along {@code axis}. */
    public Tensor slice(int axis, long start, long end) {
        int r = rank();
        int a = axis < 0 ? r + axis : axis;
        StringBuilder spec = new StringBuilder();
        for (int i = 0; i < a; i++) {
            spec.append(":,");
        }
        spec.append(start).append(':').append(end);
        return view(nd().get(new NDIndex(spec.toString())));
    }

    /** Index expression in DJL/numpy syntax, e.g. {@code "..., 0::2"}. */
    public Tensor get(String index, Object... args) {
        return view(nd().get(new NDIndex(index, args)));
    }

    /** Rows of this tensor picked by an int64 index tensor along axis 0 (an embedding lookup). */
    public Tensor take(Tensor indices) {
        return wrap(nd().get(new NDIndex("{}", indices.nd())), dtype);
    }

    /** Repeats each element {@code n} times along {@code axis} (torch.repeat_interleave). */
    public Tensor repeatInterleave(int axis, long n) {
        return wrap(nd().repeat(axis, n), dtype);
    }

    /** Broadcast to {@code shape}. */
    public Tensor broadcast(long... shape) {
        return view(nd().broadcast(new Shape(shape)));
    }

    /**
     * Constant padding, torch.nn.functional.pad order: pairs (before, after) for the last dimension first.
     */
    public Tensor pad(long[] pairs, double value) {
        return wrap(nd().pad(new Shape(pairs), value), dtype);
    }

    /** A contiguous copy (needed before handing views to some native kernels). */
    public Tensor copy() {
        return wrap(nd().duplicate(), dtype);
    }

    // ---- comparisons (bool results) ----------------------------------------------------------------------------

    public Tensor gt(double v) {
        return wrap(nd().gt(v));
    }

    // ---- reading back -------------------------------------------------------------------------------------------

    /** All elements as float32 (any floating dtype; bf16 and fp16 are widened exactly). */
    public float[] toFloats() {
        if (dtype == DType.F32) {
            return nd().toFloatArray();
        }
        try (TensorScope s = TensorScope.open()) {
            return Ops.cast(this, DType.F32).nd().toFloatArray();
        }
    }

    /** All elements as float64 (float32 and float64 tensors). */
    public double[] toDoubles() {
        try (TensorScope s = TensorScope.open()) {
            return Ops.cast(this, DType.F64).nd().toDoubleArray();
        }
    }

    /** All elements as longs (integer and bool tensors). */
    public long[] toLongs() {
        if (dtype == DType.I64) {
            return nd().toLongArray();
        }
        try (TensorScope s = TensorScope.open()) {
            return Ops.cast(this, DType.I64).nd().toLongArray();
        }
    }

    /** The single element as a double. */
    public double item() {
        float[] f = toFloats();
        if (f.length != 1) {
            throw new IllegalStateException("item() on a tensor of shape " + Arrays.toString(shape()));
        }
        return f[0];
    }

    @Override
    public void close() {
        if (nd != null) {
            nd.close();
            nd = null;
            if (storage != null) {
                storage.release();
            }
        }
    }

    @Override
    public String toString() {
        return "Tensor" + (nd == null ? "(closed)" : Arrays.toString(shape()) + " " + dtype + " " + device());
    }
}
