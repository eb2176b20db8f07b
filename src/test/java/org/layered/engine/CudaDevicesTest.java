package org.layered.engine;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The CUDA device facts through a fake driver API: what a GPU machine reports, and every way it can fail. */
class CudaDevicesTest {
    /** Two H100s, one of them half used; error codes as the real driver returns them. */
    static final class FakeDriver implements CudaDriverApi {
        int initResult = SUCCESS;
        int countResult = SUCCESS;
        int count = 2;
        int failNameOf = -1;
        int memoryCalls;

        @Override
        public int init() {
            return initResult;
        }

        @Override
        public int driverVersion(int[] version) {
            version[0] = 12080;
            return SUCCESS;
        }

        @Override
        public int deviceCount(int[] c) {
            c[0] = count;
            return countResult;
        }

        @Override
        public int name(int device, byte[] name) {
            if (device == failNameOf) {
                return 101;
            }
            byte[] b = ("NVIDIA H100 80GB HBM3").getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(b, 0, name, 0, b.length);
            name[b.length] = 0;
            name[b.length + 1] = 'x'; // garbage after the terminator is ignored
            return SUCCESS;
        }

        @Override
        public int totalMemory(int device, long[] bytes) {
            bytes[0] = 85_045_854_208L;
            return SUCCESS;
        }

        @Override
        public int attribute(int attribute, int device, int[] value) {
            value[0] = attribute == ATTRIBUTE_CC_MAJOR ? 9 : 0;
            return SUCCESS;
        }

        @Override
        public int memoryInfo(int device, long[] free, long[] total) {
            memoryCalls++;
            free[0] = device == 0 ? 84_000_000_000L : 40_000_000_000L;
            total[0] = 85_045_854_208L;
            return SUCCESS;
        }

        @Override
        public String errorName(int code) {
            return switch (code) {
                case 100 -> "CUDA_ERROR_NO_DEVICE";
                case 101 -> "CUDA_ERROR_INVALID_DEVICE";
                case 803 -> "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH";
                default -> null;
            };
        }
    }

    @Test
    void describesEveryDeviceWithNameMemoryAndComputeCapability() {
        FakeDriver api = new FakeDriver();
        CudaDevices d = CudaDevices.query(api, true);
        assertNull(d.problem());
        assertEquals("12.8", d.driverCudaVersion());
        assertEquals(2, d.devices().size());
        CudaDevice second = d.device(1);
        assertEquals(new CudaDevice(1, "NVIDIA H100 80GB HBM3", 85_045_854_208L, 40_000_000_000L, 9, 0), second);
        assertEquals("cuda:1 (NVIDIA H100 80GB HBM3, 79.2 GiB)", second.label());
        assertEquals("cuda:1: NVIDIA H100 80GB HBM3, 79.2 GiB (37.3 GiB free), compute capability 9.0",
                second.describe());
        assertEquals(2, api.memoryCalls);

        FakeDriver quick = new FakeDriver();
        assertEquals(-1, CudaDevices.query(quick, false).device(0).freeBytes());
        assertEquals(0, quick.memoryCalls, "no CUDA context is created when free memory is not asked for");
    }

    @Test
    void saysWhyThereIsNoDevice() {
        FakeDriver noDevice = new FakeDriver();
        noDevice.initResult = 100;
        CudaDevices d = CudaDevices.query(noDevice, true);
        assertTrue(d.isEmpty());
        assertEquals("the CUDA driver did not start: CUDA_ERROR_NO_DEVICE (100)", d.problem());

        FakeDriver mismatch = new FakeDriver();
        mismatch.countResult = 803;
        assertEquals("the CUDA driver cannot count its devices: CUDA_ERROR_SYSTEM_DRIVER_MISMATCH (803)",
                CudaDevices.query(mismatch, false).problem());

        FakeDriver hidden = new FakeDriver();
        hidden.count = 0;
        assertTrue(CudaDevices.query(hidden, false).problem().contains("CUDA_VISIBLE_DEVICES"));

        FakeDriver broken = new FakeDriver();
        broken.failNameOf = 1;
        CudaDevices partial = CudaDevices.query(broken, false);
        assertEquals(List.of(0), partial.devices().stream().map(CudaDevice::index).toList());
        assertEquals("the CUDA driver cannot describe device 1: CUDA_ERROR_INVALID_DEVICE (101)", partial.problem());
        assertEquals("CUDA error (999)", CudaDevices.error(broken, 999));
    }

    @Test
    void theRealDriverLibraryIsAbsentHereAndThatIsNoError() {
        // this machine has no NVIDIA driver: the JNA binding must say so instead of failing
        CudaDevices d = CudaDevices.query(false);
        if (NvidiaDriver.probe().present()) {
            assertNotNull(d); // a GPU machine answers with devices or a reason, both fine
        } else {
            assertTrue(d.isEmpty());
            assertNotNull(d.problem());
        }
    }

    @Test
    void theDeviceMenuMapsLabelsAndNamesToKeys() {
        DeviceMenu m = new DeviceMenu(List.of(new DeviceMenu.Option("auto", "auto"), new DeviceMenu.Option("cpu",
                "cpu"), new DeviceMenu.Option("cuda:0", "cuda:0 (NVIDIA H100 80GB HBM3, 79.2 GiB)")), "auto = cuda:0");
        assertEquals("cuda:0", m.keyOf("cuda"));
        assertEquals("cuda:0", m.keyOf("cuda:0 (NVIDIA H100 80GB HBM3, 79.2 GiB)"));
        assertEquals("cpu", m.keyOf(" cpu "));
        assertEquals("auto", m.keyOf("cuda:3"), "a device that is not there is never offered");
        assertEquals("auto", m.keyOf("nonsense"));
        assertEquals("cuda:0 (NVIDIA H100 80GB HBM3, 79.2 GiB)", m.labelOf("cuda:0"));
        assertEquals(List.of("auto", "cpu", "cuda:0"), m.keys());
    }
}
