package org.layered.engine;

import ai.djl.pytorch.jni.IValue;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LinearKernelTest {
    private static final CpuFeatures ZEN5 = new CpuFeatures(true, true, 26, true, true, false);
    private static final CpuFeatures ZEN4 = new CpuFeatures(true, true, 25, true, true, false);
    private static final CpuFeatures ZEN3 = new CpuFeatures(true, true, 25, false, false, false);
    private static final CpuFeatures SAPPHIRE_RAPIDS = new CpuFeatures(true, false, 6, true, true, true);

    @Test
    void oneDnnOnAmdCpusWithAvx512UnlessOverridden() {
        assertEquals(LinearKernel.ONEDNN, LinearKernel.choose(ZEN5, null));
        assertEquals(LinearKernel.DEFAULT, LinearKernel.choose(ZEN4, null));
        assertEquals(LinearKernel.DEFAULT, LinearKernel.choose(ZEN3, null));
        assertEquals(LinearKernel.DEFAULT, LinearKernel.choose(SAPPHIRE_RAPIDS, ""));
        assertEquals(LinearKernel.DEFAULT, LinearKernel.choose(CpuFeatures.parse(null), null));
        assertEquals(LinearKernel.DEFAULT, LinearKernel.choose(ZEN5, "default"));
        assertEquals(LinearKernel.ONEDNN, LinearKernel.choose(SAPPHIRE_RAPIDS, " oneDNN "));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LinearKernel.choose(ZEN5, "blas"));
        assertTrue(e.getMessage().contains("use default or onednn"), e.getMessage());
    }

    @Test
    void oneDnnComputesOnlyFloat32CpuLayersWithEnoughRows() {
        try (TensorScope s = TensorScope.open()) {
            Tensor x = Ops.zeros(new long[] {2, 3}, DType.F32, ComputeDevice.CPU);
            assertTrue(LinearKernel.ONEDNN.computes(x, LinearKernel.MIN_ROWS));
            assertFalse(LinearKernel.ONEDNN.computes(x, LinearKernel.MIN_ROWS - 1));
            assertFalse(LinearKernel.ONEDNN.computes(Ops.cast(x, DType.BF16), 1000));
            assertFalse(LinearKernel.DEFAULT.computes(x, 1000));
        }
    }

    @Test
    void theEngineRoutesLinearLayersAsChosenForThisMachine() {
        TorchEngine engine = TorchEngine.get();
        try (TensorScope s = TensorScope.open()) {
            Tensor x = Ops.zeros(new long[] {2, 3}, DType.F32, ComputeDevice.CPU);
            boolean oneDnn = LinearKernel.choose(CpuFeatures.current(), System.getProperty(LinearKernel.PROPERTY))
                    == LinearKernel.ONEDNN;
            assertSame(engine.ops(), engine.opsForLinear(x, LinearKernel.MIN_ROWS - 1));
            if (oneDnn) {
                assertNotSame(engine.ops(), engine.opsForLinear(x, LinearKernel.MIN_ROWS));
                assertTrue(engine.linearKernelNote().contains("oneDNN"), engine.linearKernelNote());
            } else {
                assertSame(engine.ops(), engine.opsForLinear(x, LinearKernel.MIN_ROWS));
                assertTrue(engine.linearKernelNote().contains("MKL"), engine.linearKernelNote());
            }
        }
    }

    @Test
    void theOneDnnVariantOnlyChangesTheTwoMatmulMethods() throws IOException {
        String source = new String(OpLibrary.class.getResourceAsStream(OpLibrary.RESOURCE).readAllBytes(),
                java.nio.charset.StandardCharsets.UTF_8);
        String variant = OpLibrary.oneDnnVariant(source);
        assertEquals(2, variant.split("mkldnn\\._linear_pointwise", -1).length - 1);
        assertFalse(variant.contains("torch.linear("), "every linear layer goes through _mm or _mm_into");
        assertThrows(IllegalStateException.class, () -> OpLibrary.oneDnnVariant(source.replace(
                "    return torch.linear(x, w, b)\n", "    return torch.matmul(x, w)\n")));
    }

    /** Every linear-family method of the library gives the default library's result to float32 rounding. */
    @Test
    void oneDnnLinearLayersMatchTheDefaultLibrary() throws IOException {
        OpLibrary base = TorchEngine.get().ops();
        Random r = new Random(11);
        int heads = 2;
        int hd = 8;
        try (OpLibrary oneDnn = OpLibrary.load(LinearKernel.ONEDNN); TensorScope s = TensorScope.open()) {
            Tensor x = OpsTest.randn(r, 1, 80, 24);
            Tensor t = OpsTest.randn(r, 1, 5, 12);
            Tensor w = OpsTest.randn(r, 16, 24);
            Tensor b = OpsTest.randn(r, 16);
            Tensor res = OpsTest.randn(r, 1, 80, 16);
            Tensor gate = OpsTest.randn(r, 1, 1, 16);
            Tensor wt = OpsTest.randn(r, heads * hd, 12);
            Tensor bt = OpsTest.randn(r, heads * hd);
            Tensor nq = OpsTest.randn(r, hd);
            Tensor ropeT = OpsTest.randn(r, 1, 5, 1, hd / 2, 2);
            Tensor ropeX = OpsTest.randn(r, 1, 80, 1, hd / 2, 2);
            Object[][] calls = {
                {"linear", x, w},
                {"linear_bias", x, w, b},
                {"linear_gated_residual", res, gate, x, w, b},
                {"linear_gelu_tanh", x, w, b},
                {"joint_heads", t, x, wt, bt, w, b, (long) heads},
                {"joint_qk", t, x, wt, bt, w, b, nq, nq, ropeT, ropeX, (long) heads, 1e-6},
            };
            for (Object[] call : calls) {
                String method = (String) call[0];
                Tensor expected = run(base, method, call);
                Tensor actual = run(oneDnn, method, call);
                assertEquals(java.util.Arrays.toString(expected.shape()), java.util.Arrays.toString(actual.shape()),
                        method);
                double scale = Math.max(1, expected.maxAbs());
                assertTrue(OpsTest.maxDiff(expected, actual) <= 1e-5 * scale, method + ": "
                        + OpsTest.maxDiff(expected, actual));
            }
        }
    }

    private static Tensor run(OpLibrary lib, String method, Object[] call) {
        IValue[] args = new IValue[call.length - 1];
        for (int i = 1; i < call.length; i++) {
            Object a = call[i];
            args[i - 1] = a instanceof Tensor t ? IValue.from(t.nd()) : a instanceof Long l ? IValue.from(l)
                    : IValue.from((Double) a);
        }
        return Tensor.wrap(lib.tensor(TensorScope.current().manager(), method, args), DType.F32);
    }
}
