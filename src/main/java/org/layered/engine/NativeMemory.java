package org.layered.engine;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Platform;

/**
 * Process-level native memory settings through the C library (JNA ships with DJL). Large tensor allocations are
 * fresh memory each time, and on Linux their page faults can cost more than the arithmetic (measured 2-4x on the
 * VAE); libtorch backs allocations with transparent huge pages when {@code THP_MEM_ALLOC_ENABLE} is set before its
 * allocator first runs. Freed memory may stay in glibc's heap; {@link #trim()} hands it back to the OS.
 */
final class NativeMemory {
    private interface CLib extends Library {
        int setenv(String name, String value, int overwrite);

        String getenv(String name);
    }

    private interface GlibcMalloc extends Library {
        int malloc_trim(long pad);
    }

    private static final CLib C = load(CLib.class);
    private static final GlibcMalloc MALLOC = Platform.isLinux() ? load(GlibcMalloc.class) : null;

    private NativeMemory() {}

    private static <T extends Library> T load(Class<T> type) {
        if (Platform.isWindows()) {
            return null;
        }
        try {
            return Native.load(Platform.C_LIBRARY_NAME, type);
        } catch (UnsatisfiedLinkError e) {
            return null; // no C library reachable: the settings are optimisations only
        }
    }

    /** Sets {@code THP_MEM_ALLOC_ENABLE=1} for libtorch unless the user set it; call before the engine loads. */
    static void preferHugePages() {
        if (C != null && Platform.isLinux() && C.getenv("THP_MEM_ALLOC_ENABLE") == null) {
            C.setenv("THP_MEM_ALLOC_ENABLE", "1", 0);
        }
    }

    /** The process environment as native code sees it (Java's {@code System.getenv} is a start-up snapshot). */
    static String nativeEnv(String name) {
        return C == null ? null : C.getenv(name);
    }

    /** Returns freed heap memory to the OS (glibc {@code malloc_trim}); a no-op elsewhere. */
    static void trim() {
        if (MALLOC != null) {
            MALLOC.malloc_trim(0);
        }
    }
}
