package org.layered.engine;

/**
 * Runs float32 linear layers of the released models' shapes (transformer, text encoder, vision tower) on oneDNN, in a
 * child JVM started by {@link OneDnnLinearGuardTest} with {@code -Dlayered.linearKernel=onednn}: oneDNN chooses its
 * kernels from the CPU's cache sizes, which virtual machines may not report, and one such heuristic divided by zero
 * here for a 1x1 convolution (SIGFPE, the JVM gone). A shape that aborts the child is named by the last line printed.
 */
public final class OneDnnLinearProbe {
    private OneDnnLinearProbe() {}

    public static void main(String[] args) {
        if (!TorchEngine.get().linearKernelNote().contains(LinearKernel.ONEDNN.label())) {
            throw new AssertionError("oneDNN is not computing the linear layers: "
                    + TorchEngine.get().linearKernelNote());
        }
        // {in, out}: transformer (img_in, q/k/v/out, MLP up/down, txt_in, proj_out), Qwen2.5-VL-7B (q, k/v, MLP up,
        // MLP down), its vision tower (qkv, MLP up/down, patch merger)
        long[][] layers = {{64, 3072}, {3072, 3072}, {3072, 12288}, {12288, 3072}, {3584, 3072}, {3072, 64},
            {3584, 3584}, {3584, 512}, {3584, 18944}, {18944, 3584}, {1280, 3840}, {1280, 3420}, {3420, 1280},
            {5120, 5120}};
        long[] rowCounts = {LinearKernel.MIN_ROWS, 77, 333};
        for (long[] layer : layers) {
            try (TensorScope s = TensorScope.open()) {
                Tensor w = Ops.randomNormal(new long[] {layer[1], layer[0]}, ComputeDevice.CPU).mul(0.01);
                Tensor b = Ops.randomNormal(new long[] {layer[1]}, ComputeDevice.CPU);
                for (long rows : rowCounts) {
                    System.out.println("op linear " + rows + " x " + layer[0] + " -> " + layer[1]);
                    System.out.flush();
                    try (TensorScope r = TensorScope.open()) {
                        Tensor x = Ops.randomNormal(new long[] {1, rows, layer[0]}, ComputeDevice.CPU);
                        check(Ops.linear(x, w, b), rows, layer[1]);
                        // a strided input (every other row of a longer sequence)
                        Tensor strided = Ops.randomNormal(new long[] {2 * rows, layer[0]}, ComputeDevice.CPU)
                                .reshape(rows, 2, layer[0]).slice(1, 0, 1).reshape(1, rows, layer[0]);
                        check(Ops.linear(strided, w, null), rows, layer[1]);
                    }
                }
            }
        }
        System.out.println("ONEDNN-GUARD-OK");
    }

    private static void check(Tensor y, long rows, long out) {
        if (y.size(1) != rows || y.size(2) != out || !Double.isFinite(y.maxAbs())) {
            throw new AssertionError("bad result " + java.util.Arrays.toString(y.shape()));
        }
    }
}
