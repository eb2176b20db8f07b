package org.layered.engine;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.PointerByReference;

/**
 * {@link CudaDriverApi} over the driver's own library ({@code libcuda.so.1}, {@code nvcuda.dll}) through JNA, which
 * DJL already ships. The driver library comes with the NVIDIA driver, not with a CUDA toolkit or libtorch, so this
 * works whatever libtorch is in use, and fails softly (no library: null) on machines without a driver. Every call
 * returns an error code; none can abort the JVM.
 */
final class JnaCudaDriver implements CudaDriverApi {
    /** The driver API entry points used, by their exported names (64-bit {@code size_t} as long). */
    interface Lib extends Library {
        int cuInit(int flags);

        int cuDriverGetVersion(IntByReference version);

        int cuDeviceGetCount(IntByReference count);

        int cuDeviceGet(IntByReference device, int ordinal);

        int cuDeviceGetName(byte[] name, int length, int device);

        int cuDeviceTotalMem_v2(LongByReference bytes, int device);

        int cuDeviceGetAttribute(IntByReference value, int attribute, int device);

        int cuDevicePrimaryCtxRetain(PointerByReference context, int device);

        int cuDevicePrimaryCtxRelease_v2(int device);

        int cuCtxPushCurrent_v2(Pointer context);

        int cuCtxPopCurrent_v2(PointerByReference context);

        int cuMemGetInfo_v2(LongByReference free, LongByReference total);

        int cuGetErrorName(int error, PointerByReference name);
    }

    private final Lib lib;

    private JnaCudaDriver(Lib lib) {
        this.lib = lib;
    }

    /** The driver library of this machine, or null (with the reason in {@code why[0]}) when there is none. */
    static JnaCudaDriver load(String[] why) {
        if (Platform.isMac() || !Platform.is64Bit()) {
            why[0] = "CUDA is not available on this platform";
            return null;
        }
        String name = Platform.isWindows() ? "nvcuda" : "libcuda.so.1";
        try {
            return new JnaCudaDriver(Native.load(name, Lib.class));
        } catch (UnsatisfiedLinkError e) {
            why[0] = "no NVIDIA driver library (" + name + ") on this machine";
            return null;
        }
    }

    @Override
    public int init() {
        return lib.cuInit(0);
    }

    @Override
    public int driverVersion(int[] version) {
        IntByReference v = new IntByReference();
        int r = lib.cuDriverGetVersion(v);
        version[0] = v.getValue();
        return r;
    }

    @Override
    public int deviceCount(int[] count) {
        IntByReference c = new IntByReference();
        int r = lib.cuDeviceGetCount(c);
        count[0] = c.getValue();
        return r;
    }

    @Override
    public int name(int device, byte[] name) {
        int r = handle(device);
        return r < 0 ? -r : lib.cuDeviceGetName(name, name.length, r);
    }

    @Override
    public int totalMemory(int device, long[] bytes) {
        int h = handle(device);
        if (h < 0) {
            return -h;
        }
        LongByReference b = new LongByReference();
        int r = lib.cuDeviceTotalMem_v2(b, h);
        bytes[0] = b.getValue();
        return r;
    }

    @Override
    public int attribute(int attribute, int device, int[] value) {
        int h = handle(device);
        if (h < 0) {
            return -h;
        }
        IntByReference v = new IntByReference();
        int r = lib.cuDeviceGetAttribute(v, attribute, h);
        value[0] = v.getValue();
        return r;
    }

    @Override
    public int memoryInfo(int device, long[] free, long[] total) {
        int h = handle(device);
        if (h < 0) {
            return -h;
        }
        PointerByReference ctx = new PointerByReference();
        int r = lib.cuDevicePrimaryCtxRetain(ctx, h);
        if (r != SUCCESS) {
            return r;
        }
        try {
            r = lib.cuCtxPushCurrent_v2(ctx.getValue());
            if (r != SUCCESS) {
                return r;
            }
            try {
                LongByReference f = new LongByReference();
                LongByReference t = new LongByReference();
                r = lib.cuMemGetInfo_v2(f, t);
                free[0] = f.getValue();
                total[0] = t.getValue();
                return r;
            } finally {
                lib.cuCtxPopCurrent_v2(new PointerByReference());
            }
        } finally {
            lib.cuDevicePrimaryCtxRelease_v2(h);
        }
    }

    @Override
    public String errorName(int code) {
        PointerByReference p = new PointerByReference();
        if (lib.cuGetErrorName(code, p) != SUCCESS || p.getValue() == null) {
            return null;
        }
        return p.getValue().getString(0);
    }

    /** The device handle of an ordinal (equal to it in practice), or minus the error code. */
    private int handle(int ordinal) {
        IntByReference d = new IntByReference();
        int r = lib.cuDeviceGet(d, ordinal);
        return r == SUCCESS ? d.getValue() : -r;
    }
}
