package org.layered.engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * What this machine's CPU offers for matrix products, from the {@code vendor_id} and {@code flags} lines of Linux's
 * {@code /proc/cpuinfo}: AVX512-BF16 (bf16 dot products, e.g. AMD Zen 4, Intel Cooper Lake) and AMX-BF16 (tile
 * matrix units, Intel Sapphire Rapids and later) — with either, libtorch's oneDNN runs bf16 matmuls natively,
 * several times faster than float32; without, bf16 is emulated and slower than float32 — and whether an AMD CPU has
 * AVX-512, where MKL (libtorch's float32 BLAS) runs its AVX2 kernels and oneDNN is faster ({@link LinearKernel}).
 *
 * @param known      whether the flags could be read (Linux)
 * @param amd        the vendor is AMD ({@code AuthenticAMD})
 * @param family     the {@code cpu family} number (AMD: 25 is Zen 3 and Zen 4, 26 is Zen 5); 0 when not stated
 * @param avx512f    the CPU has AVX-512 (foundation)
 * @param avx512Bf16 the CPU has AVX512-BF16
 * @param amxBf16    the CPU has AMX-BF16
 */
public record CpuFeatures(boolean known, boolean amd, int family, boolean avx512f, boolean avx512Bf16,
        boolean amxBf16) {
    private static volatile CpuFeatures current;

    /** This machine's features (read once). */
    public static CpuFeatures current() {
        CpuFeatures c = current;
        if (c == null) {
            String text;
            try {
                text = Files.readString(Path.of("/proc/cpuinfo"));
            } catch (IOException | RuntimeException e) {
                text = null;
            }
            c = parse(text);
            current = c;
        }
        return c;
    }

    /**
     * The features named by the first {@code vendor_id}, {@code cpu family} and {@code flags} lines of a
     * {@code /proc/cpuinfo} text (null: unknown).
     */
    static CpuFeatures parse(String cpuinfo) {
        if (cpuinfo != null) {
            boolean amd = false;
            int family = 0;
            for (String line : cpuinfo.split("\n")) {
                int colon = line.indexOf(':');
                String key = colon > 0 ? line.substring(0, colon).strip() : "";
                if (key.equals("vendor_id")) {
                    amd = line.substring(colon + 1).strip().equals("AuthenticAMD");
                } else if (key.equals("cpu family")) {
                    try {
                        family = Integer.parseInt(line.substring(colon + 1).strip());
                    } catch (NumberFormatException e) {
                        family = 0;
                    }
                } else if (key.equals("flags")) {
                    Set<String> flags = Set.of(line.substring(colon + 1).strip().split("\\s+"));
                    return new CpuFeatures(true, amd, family, flags.contains("avx512f"),
                            flags.contains("avx512_bf16"), flags.contains("amx_bf16"));
                }
            }
        }
        return new CpuFeatures(false, false, 0, false, false, false);
    }

    /** Whether bf16 matmuls run natively (AVX512-BF16 or AMX-BF16). */
    public boolean nativeBf16() {
        return avx512Bf16 || amxBf16;
    }

    /**
     * What a run in bf16 on this CPU should know, e.g. {@code precision bf16 on the CPU: native bf16 (AVX512-BF16);
     * convolutions run in float32}, with a warning when bf16 is emulated (slower than float32).
     */
    public String bf16ComputeNote() {
        return "precision bf16 on the CPU: " + describe() + "; convolutions run in float32"
                + (nativeBf16() ? "" : "; without native bf16 this is slower than float32");
    }

    /** E.g. {@code native bf16 (AVX512-BF16)}, {@code no native bf16 (neither AVX512-BF16 nor AMX-BF16)}. */
    public String describe() {
        if (!known) {
            return "native bf16 unknown (no /proc/cpuinfo to read the CPU's flags from)";
        }
        if (!nativeBf16()) {
            return "no native bf16 (neither AVX512-BF16 nor AMX-BF16)";
        }
        return "native bf16 (" + (avx512Bf16 && amxBf16 ? "AVX512-BF16, AMX-BF16" : avx512Bf16 ? "AVX512-BF16"
                : "AMX-BF16") + ")";
    }
}
