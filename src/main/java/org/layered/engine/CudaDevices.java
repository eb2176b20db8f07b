package org.layered.engine;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The CUDA devices of this machine as the CUDA driver numbers them, which is how libtorch numbers them too (the
 * same {@code CUDA_VISIBLE_DEVICES} and {@code CUDA_DEVICE_ORDER} apply): index, name, total and free memory,
 * compute capability. Asked through the driver library, never through a CUDA toolkit, so it works next to any
 * libtorch, and answers "none, because ..." on machines without a driver or GPU instead of failing.
 *
 * @param devices           the devices, by index
 * @param driverCudaVersion the newest CUDA version the driver supports, e.g. {@code 12.8}; null when unknown
 * @param problem           why there are no devices (no driver, CUDA_ERROR_NO_DEVICE, ...), or null
 */
public record CudaDevices(List<CudaDevice> devices, String driverCudaVersion, String problem) {
    public CudaDevices {
        devices = List.copyOf(devices);
    }

    /** No devices, for the reason given. */
    public static CudaDevices none(String why) {
        return new CudaDevices(List.of(), null, why);
    }

    /**
     * Asks the driver.
     *
     * @param freeMemory also ask each device's free memory (creates, then releases, its CUDA context: slower, and
     *                   a few hundred MiB of device memory for a moment)
     */
    public static CudaDevices query(boolean freeMemory) {
        String[] why = new String[1];
        JnaCudaDriver driver = JnaCudaDriver.load(why);
        return driver == null ? none(why[0]) : query(driver, freeMemory);
    }

    static CudaDevices query(CudaDriverApi api, boolean freeMemory) {
        int r = api.init();
        if (r != CudaDriverApi.SUCCESS) {
            return none("the CUDA driver did not start: " + error(api, r));
        }
        int[] v = new int[1];
        String cuda = api.driverVersion(v) == CudaDriverApi.SUCCESS && v[0] > 0
                ? v[0] / 1000 + "." + (v[0] % 1000) / 10 : null;
        int[] count = new int[1];
        r = api.deviceCount(count);
        if (r != CudaDriverApi.SUCCESS) {
            return new CudaDevices(List.of(), cuda, "the CUDA driver cannot count its devices: " + error(api, r));
        }
        if (count[0] == 0) {
            return new CudaDevices(List.of(), cuda, "the CUDA driver sees no device (check CUDA_VISIBLE_DEVICES)");
        }
        List<CudaDevice> out = new ArrayList<>();
        for (int i = 0; i < count[0]; i++) {
            byte[] name = new byte[256];
            long[] total = new long[1];
            int[] major = new int[1];
            int[] minor = new int[1];
            for (int code : new int[] {api.name(i, name), api.totalMemory(i, total),
                    api.attribute(CudaDriverApi.ATTRIBUTE_CC_MAJOR, i, major),
                    api.attribute(CudaDriverApi.ATTRIBUTE_CC_MINOR, i, minor)}) {
                if (code != CudaDriverApi.SUCCESS) {
                    return new CudaDevices(out, cuda, "the CUDA driver cannot describe device " + i + ": "
                            + error(api, code));
                }
            }
            long free = -1;
            if (freeMemory) {
                long[] f = new long[1];
                long[] t = new long[1];
                if (api.memoryInfo(i, f, t) == CudaDriverApi.SUCCESS) {
                    free = f[0];
                }
            }
            out.add(new CudaDevice(i, cString(name), total[0], free, major[0], minor[0]));
        }
        return new CudaDevices(out, cuda, null);
    }

    private static String cString(byte[] b) {
        int n = 0;
        while (n < b.length && b[n] != 0) {
            n++;
        }
        return new String(b, 0, n, StandardCharsets.UTF_8).strip();
    }

    static String error(CudaDriverApi api, int code) {
        String name = api.errorName(code);
        return String.format(Locale.ROOT, "%s (%d)", name == null ? "CUDA error" : name, code);
    }

    /** The device with this index, if present. */
    public CudaDevice device(int index) {
        return index >= 0 && index < devices.size() ? devices.get(index) : null;
    }

    public boolean isEmpty() {
        return devices.isEmpty();
    }
}
