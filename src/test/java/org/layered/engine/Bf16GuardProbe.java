package org.layered.engine;

import java.util.List;
import java.util.function.Supplier;

/**
 * Runs every {@link Tensor} method and {@link Ops} function on bf16 inputs, and the storage ops on float8 (compute
 * ops on float8 must fail with an exception, not an abort). Started in a child JVM by
 * {@link Bf16GuardTest}: if any of them reached a DJL code path that aborts on bf16, the child dies with exit 134
 * and the test names the last op printed, instead of the whole test run dying.
 */
public final class Bf16GuardProbe {
    private Bf16GuardProbe() {}

    private static void run(String name, Supplier<Tensor> op) {
        System.out.println("op " + name);
        System.out.flush();
        Tensor t = op.get();
        if (t != null && t.dtype().isFloating() && !t.isClosed()) {
            float[] f = t.toFloats();
            if (f.length == 0) {
                throw new AssertionError(name + " returned an empty tensor");
            }
        }
    }

    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("raw-djl-control")) {
            rawDjlControl();
            return;
        }
        ComputeDevice cpu = ComputeDevice.CPU;
        EngineChecks.enable(true); // every dtype the facade infers for bf16/float8 results is confirmed by libtorch
        try (TensorScope s = TensorScope.open()) {
            Tensor f = Ops.fromFloats(new float[] {0.5f, -1f, 2f, 3f, -4f, 5f, 6f, 7f}, new long[] {2, 4}, cpu);
            Tensor b = Ops.cast(f, DType.BF16);
            Tensor b2 = Ops.cast(f.mul(0.25), DType.BF16);
            Tensor w = Ops.cast(Ops.fromFloats(new float[] {1, 2, 3, 4, 5, 6, 7, 8}, new long[] {2, 4}, cpu), DType.BF16);
            if (b.dtype() != DType.BF16) {
                throw new AssertionError("cast did not give bf16: " + b.dtype());
            }
            run("add", () -> b.add(b2));
            run("sub", () -> b.sub(b2));
            run("mul", () -> b.mul(b2));
            run("div", () -> b.div(b2.add(10)));
            run("addScalar", () -> b.add(1.5));
            run("mulScalar", () -> b.mul(1.5));
            run("divScalar", () -> b.div(1.5));
            run("neg", b::neg);
            run("exp", b::exp);
            run("sqrt", () -> b.square().sqrt());
            run("square", b::square);
            run("pow", () -> b.square().pow(0.5));
            run("sin", b::sin);
            run("cos", b::cos);
            run("tanh", b::tanh);
            run("sigmoid", b::sigmoid);
            run("clamp", () -> b.clamp(-1, 1));
            run("maximum", () -> b.maximum(b2));
            run("matmul", () -> b.matmul(w.transpose(0, 1)));
            run("matmulInto", () -> Ops.matmulInto(b, w.transpose(0, 1),
                    Ops.zeros(new long[] {2, 2}, DType.BF16, cpu)));
            run("sum", () -> b.sum(new int[] {1}, true));
            run("mean", () -> b.mean(new int[] {1}, false));
            run("max", () -> b.max(new int[] {1}, true));
            run("maxAbs", () -> Ops.fromDoubles(new double[] {b.maxAbs()}, new long[] {1}, cpu));
            run("reshape", () -> b.reshape(4, 2));
            run("permute", () -> b.permute(1, 0));
            run("transpose", () -> b.transpose(0, 1));
            run("unsqueeze", () -> b.unsqueeze(0));
            run("squeeze", () -> b.unsqueeze(0).squeeze(0));
            run("slice", () -> b.slice(1, 1, 3));
            run("get", () -> b.get("..., 0::2"));
            run("take", () -> b.take(Ops.fromLongs(new long[] {1, 0}, new long[] {2}, cpu)));
            run("repeatInterleave", () -> b.repeatInterleave(1, 2));
            run("broadcast", () -> b.unsqueeze(0).broadcast(3, 2, 4));
            run("pad", () -> b.pad(new long[] {0, 1, 1, 0}, 0));
            run("copy", b::copy);
            run("gt", () -> b.gt(0.0));
            run("toLongs", () -> Ops.fromLongs(b.toLongs(), new long[] {8}, cpu));
            run("item", () -> Ops.fromDoubles(new double[] {b.slice(1, 0, 1).slice(0, 0, 1).item()},
                    new long[] {1}, cpu));
            run("cast", () -> Ops.cast(b, DType.F16));
            run("as", () -> Ops.as(b, DType.BF16));
            run("concat", () -> Ops.concat(List.of(b, b2), 0));
            run("softmax", () -> Ops.softmax(b, -1));
            run("attention", () -> Ops.attention(b.reshape(1, 1, 2, 4), b2.reshape(1, 1, 2, 4),
                    b.reshape(1, 1, 2, 4), null));
            run("attentionMasked", () -> Ops.attention(b.reshape(1, 1, 2, 4), b2.reshape(1, 1, 2, 4),
                    b.reshape(1, 1, 2, 4), Ops.fromFloats(new float[] {0f, -1e4f}, new long[] {1, 1, 1, 2}, cpu)));
            run("rmsNormalize", () -> Ops.rmsNormalize(b, -1, 1e-6));
            run("l2Normalize", () -> Ops.l2Normalize(b, 1, 1e-12));
            run("layerNorm", () -> Ops.layerNorm(b, 1e-6));
            run("groupNorm", () -> Ops.groupNorm(b.reshape(1, 4, 2), 2, Ops.cast(Ops.full(new long[] {4}, 1,
                    DType.F32, cpu), DType.BF16), Ops.zeros(new long[] {4}, DType.BF16, cpu), 1e-6));
            run("linear", () -> Ops.linear(b, w, null));
            run("linearBias", () -> Ops.linear(b, w, Ops.zeros(new long[] {2}, DType.BF16, cpu)));
            run("conv2d", () -> Ops.conv2d(b.reshape(1, 2, 2, 2), w.reshape(2, 2, 1, 2).slice(3, 0, 1),
                    Ops.zeros(new long[] {2}, DType.BF16, cpu), 1, 0));
            Tensor seq = b.reshape(1, 2, 4);
            Tensor row = b2.slice(0, 0, 1).reshape(1, 1, 4);
            Tensor sq = Ops.cast(Ops.fromFloats(new float[] {1, 0, 0, 1, 0, 1, 1, 0, 1, 1, 0, 0, 0, 0, 1, 1},
                    new long[] {4, 4}, cpu), DType.BF16);
            Tensor bias = b2.slice(0, 1, 2).reshape(4);
            Tensor rope = Ops.fromFloats(new float[] {1, 0, 0.6f, 0.8f, 0, 1, -1, 0}, new long[] {1, 2, 1, 2, 2}, cpu);
            run("rmsNorm", () -> Ops.rmsNorm(b, bias, 1e-6));
            run("layerNormModulate", () -> Ops.layerNormModulate(seq, row, row, 1e-6));
            run("linearGatedResidual", () -> Ops.linearGatedResidual(seq, row, seq, sq, bias));
            run("linearGeluTanh", () -> Ops.linearGeluTanh(seq, sq, bias));
            run("jointHeads", () -> Ops.jointHeads(seq, seq, sq, bias, sq, bias, 1));
            run("jointQk", () -> Ops.jointQk(seq, seq, sq, bias, sq, bias, bias, bias, rope, rope, 1, 1e-6));
            Tensor image = b.reshape(1, 2, 2, 2);
            run("channelsLast", () -> Ops.channelsLast(image));
            run("contiguous", () -> Ops.contiguous(Ops.channelsLast(image)));
            run("channelRmsNorm", () -> Ops.channelRmsNorm(image, b2.slice(0, 0, 1).reshape(2, 2).slice(1, 0, 1)
                    .reshape(2, 1, 1), true));
            run("gelu", () -> Ops.gelu(b));
            run("geluTanh", () -> Ops.geluTanh(b));
            run("silu", () -> Ops.silu(b));
            run("upsampleNearest", () -> Ops.upsampleNearest(b.reshape(1, 1, 2, 4), 4, 8));
            run("read", () -> {
                try {
                    // the destination is allocated in libtorch and written through a direct view DJL reports as
                    // UNKNOWN; 0x3f80 is bf16 1.0
                    return Ops.read(DType.BF16, new long[] {2, 3}, cpu, (offset, dst) -> {
                        while (dst.hasRemaining()) {
                            dst.putShort((short) 0x3f80);
                        }
                    });
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            run("allFinite", () -> Ops.fromDoubles(new double[] {Ops.allFinite(b) ? 1 : 0}, new long[] {1}, cpu));
            run("zeros", () -> Ops.zeros(new long[] {2, 2}, DType.BF16, cpu));
            run("full", () -> Ops.full(new long[] {2, 2}, 3.0, DType.BF16, cpu));
            run("toAsync", () -> Ops.toAsync(b, cpu));
            run("pinned", () -> Ops.pinned(b));
            run("strides", () -> Ops.fromLongs(Ops.strides(b.transpose(0, 1)), new long[] {2}, cpu));
            run("sharesStorage", () -> Ops.fromBooleans(new boolean[] {Ops.sharesStorage(b, b.slice(1, 1, 3).nd())},
                    new long[] {1}, cpu));
            run("dtypeCode", () -> Ops.fromLongs(new long[] {Ops.torchCode(Ops.dtypeCode(b.nd()))}, new long[] {1},
                    cpu));
            float8(w, cpu);
        }
        System.out.println("BF16-GUARD-OK");
    }

    /**
     * Float8 weights: the storage ops work and keep the dtype; compute ops, which libtorch does not offer for float8,
     * end in a Java exception, never an abort.
     */
    private static void float8(Tensor bf16Weight, ComputeDevice cpu) {
        Tensor[] q = Ops.quantizeFp8(bf16Weight);
        Tensor f8 = q[0];
        if (f8.dtype() != DType.F8_E4M3) {
            throw new AssertionError("quantizeFp8 did not give float8: " + f8.dtype());
        }
        run("f8 quantize", () -> q[1]);
        run("f8 dequantize bf16", () -> Ops.dequantizeFp8(f8, q[1], DType.BF16));
        run("f8 dequantize f32", () -> Ops.dequantizeFp8(f8, q[1], DType.F32));
        run("f8 cast", () -> Ops.cast(Ops.cast(bf16Weight, DType.F8_E4M3), DType.BF16));
        run("f8 zeros", () -> Ops.zeros(new long[] {2, 2}, DType.F8_E4M3, cpu));
        run("f8 reshape", () -> f8.reshape(4, 2));
        run("f8 permute", () -> f8.permute(1, 0));
        run("f8 transpose", () -> f8.transpose(0, 1));
        run("f8 unsqueeze", () -> f8.unsqueeze(0));
        run("f8 squeeze", () -> f8.unsqueeze(0).squeeze(0));
        run("f8 slice", () -> f8.slice(1, 1, 3));
        run("f8 get", () -> f8.get("..., 0::2"));
        run("f8 broadcast", () -> f8.unsqueeze(0).broadcast(3, 2, 4));
        run("f8 copy", f8::copy);
        run("f8 toAsync", () -> Ops.toAsync(f8, cpu));
        run("f8 pinned", () -> Ops.pinned(f8));
        run("f8 read", () -> {
            try {
                return Ops.read(DType.F8_E4M3, new long[] {2, 3}, cpu, (offset, dst) -> {
                    while (dst.hasRemaining()) {
                        dst.put((byte) 0x38); // 1.0
                    }
                });
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        List<Supplier<Tensor>> unsupported = List.of(() -> f8.add(f8), () -> f8.mul(2.0), () -> f8.matmul(f8),
                () -> f8.sum(new int[] {1}, true), () -> Ops.linear(f8, f8, null), () -> Ops.softmax(f8, -1),
                () -> f8.maximum(f8), () -> f8.clamp(-1, 1), () -> Ops.concat(List.of(f8, f8), 0),
                () -> f8.pad(new long[] {0, 1}, 0), () -> f8.take(Ops.fromLongs(new long[] {1}, new long[] {1}, cpu)),
                () -> f8.gt(0.0), () -> f8.exp(), () -> Ops.layerNorm(f8, 1e-6));
        for (int i = 0; i < unsupported.size(); i++) {
            System.out.println("op f8 compute " + i);
            System.out.flush();
            try {
                Tensor t = unsupported.get(i).get();
                System.out.println("  works, gives " + t.dtype());
                t.toFloats();
            } catch (RuntimeException e) {
                System.out.println("  refused: " + e.getClass().getSimpleName());
            }
        }
    }

    /** The call the facade exists to prevent: DJL asked for bf16. Expected to abort this JVM (exit 134). */
    private static void rawDjlControl() {
        run("raw DJL toType(BFLOAT16)", () -> {
            try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager()) {
                m.ones(new ai.djl.ndarray.types.Shape(2)).toType(ai.djl.ndarray.types.DataType.BFLOAT16, false);
            }
            return null;
        });
        System.out.println("BF16-GUARD-OK");
    }
}
