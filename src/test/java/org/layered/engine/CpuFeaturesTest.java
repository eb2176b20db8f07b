package org.layered.engine;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CpuFeaturesTest {
    private static final String ZEN4 = """
            processor\t: 0
            vendor_id\t: AuthenticAMD
            cpu family\t: 25
            model name\t: AMD EPYC 9R14
            flags\t\t: fpu vme fma avx avx2 avx512f avx512bw avx512vl avx512_bf16 avx512_vnni
            bugs\t\t: sysret_ss_attrs

            processor\t: 1
            flags\t\t: fpu vme fma avx avx2 avx512f avx512bw avx512vl avx512_bf16 avx512_vnni
            """;

    @Test
    void readsTheBf16FlagsOfTheFirstProcessor() {
        CpuFeatures zen4 = CpuFeatures.parse(ZEN4);
        assertTrue(zen4.known() && zen4.avx512Bf16() && !zen4.amxBf16() && zen4.nativeBf16());
        assertEquals("native bf16 (AVX512-BF16)", zen4.describe());
        assertTrue(zen4.amd() && zen4.avx512f() && zen4.family() == 25);
        CpuFeatures spr = CpuFeatures.parse("vendor_id : GenuineIntel\nflags : avx512f avx512_bf16 amx_bf16 amx_tile"
                + " amx_int8\n");
        assertEquals("native bf16 (AVX512-BF16, AMX-BF16)", spr.describe());
        assertTrue(!spr.amd() && spr.avx512f());
        CpuFeatures old = CpuFeatures.parse("flags : fpu sse sse2 avx avx2 fma\n");
        assertFalse(old.nativeBf16() || old.avx512f());
        assertEquals("no native bf16 (neither AVX512-BF16 nor AMX-BF16)", old.describe());
        CpuFeatures none = CpuFeatures.parse(null);
        assertFalse(none.known() || none.nativeBf16());
        assertTrue(none.describe().startsWith("native bf16 unknown"), none.describe());
        // this machine's answer is one of these, never an exception
        assertTrue(CpuFeatures.current().describe().contains("bf16"));
    }

    @Test
    void precisionRequestsParseOrNameTheAcceptedValues() {
        assertNull(Precision.parseRequest("auto"));
        assertNull(Precision.parseRequest(" "));
        assertEquals(Precision.BFLOAT16, Precision.parseRequest("BF16"));
        assertEquals(Precision.FLOAT32, Precision.parseRequest("fp32"));
        assertEquals(Precision.FLOAT32, Precision.of(null, ComputeDevice.CPU));
        assertEquals(Precision.BFLOAT16, Precision.of(Precision.BFLOAT16, ComputeDevice.CPU));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Precision.parseRequest("half"));
        assertEquals("unknown precision 'half': use auto, float32 or bf16", e.getMessage());
    }
}
