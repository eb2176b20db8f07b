package org.layered.engine;

import java.util.Locale;

/**
 * Which library computes float32 linear layers on the CPU. libtorch's default is MKL's sgemm, which on AMD CPUs runs
 * its AVX2 kernels even where the CPU has AVX-512; oneDNN, also inside libtorch, runs AVX-512 there: on an AMD EPYC
 * of family 26 (Zen 5, full-width AVX-512), a 9600 x 3072 x 3072 layer at 290 GFLOP/s against MKL's 150 (half the
 * cores' AVX-512 peak). Both accumulate in float32, so results differ by rounding order only. oneDNN reorders the
 * weight on every call, which costs more than it saves for a few rows, so short inputs stay with the default. bf16
 * linear layers already go to oneDNN inside libtorch, and CUDA has its own libraries: neither is concerned.
 */
public enum LinearKernel {
    /** libtorch's default ({@code torch.linear}: MKL's sgemm on x86). */
    DEFAULT("libtorch's default (MKL)"),
    /** oneDNN's inner product ({@code mkldnn::_linear_pointwise}). */
    ONEDNN("oneDNN");

    /** System property that overrides the choice for this machine: {@code default} or {@code onednn}. */
    public static final String PROPERTY = "layered.linearKernel";
    /** Inputs with fewer rows than this go to the default library even when oneDNN is chosen (measured crossover). */
    static final long MIN_ROWS = 64;

    private final String label;

    LinearKernel(String label) {
        this.label = label;
    }

    /** The first AMD CPU family with full-width AVX-512 (Zen 5), where oneDNN's gain was measured. */
    static final int AMD_ZEN5_FAMILY = 26;

    /**
     * The choice for a machine: {@code override} (the property's value) when set, else oneDNN on AMD CPUs with
     * full-width AVX-512 (family 26, Zen 5, and later) and the default elsewhere: on Intel CPUs MKL runs AVX-512
     * itself, and Zen 4 executes AVX-512 at AVX2's width, where the gain is unmeasured.
     *
     * @throws IllegalArgumentException for an override that names neither
     */
    static LinearKernel choose(CpuFeatures cpu, String override) {
        if (override != null && !override.isBlank()) {
            return switch (override.strip().toLowerCase(Locale.ROOT)) {
                case "default", "mkl" -> DEFAULT;
                case "onednn" -> ONEDNN;
                default -> throw new IllegalArgumentException(PROPERTY + "=" + override.strip()
                        + " is not a linear kernel: use default or onednn");
            };
        }
        return cpu.amd() && cpu.avx512f() && cpu.family() >= AMD_ZEN5_FAMILY ? ONEDNN : DEFAULT;
    }

    /** Whether, under this choice, a linear layer over {@code rows} rows of {@code x} runs on oneDNN. */
    boolean computes(Tensor x, long rows) {
        return this == ONEDNN && !x.device().isCuda() && x.dtype() == DType.F32 && rows >= MIN_ROWS;
    }

    /** E.g. {@code oneDNN}, for logs. */
    public String label() {
        return label;
    }
}
