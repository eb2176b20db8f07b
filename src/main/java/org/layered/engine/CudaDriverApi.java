package org.layered.engine;

/**
 * The few calls of the CUDA driver API ({@code libcuda}) that describe the devices, as return codes
 * ({@code CUresult}, 0 = success) with out-parameters in arrays. {@link JnaCudaDriver} is the real one; tests give
 * a fake, so that the logic that only runs on a GPU machine is exercised everywhere.
 */
interface CudaDriverApi {
    int SUCCESS = 0;
    /** {@code CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR}. */
    int ATTRIBUTE_CC_MAJOR = 75;
    /** {@code CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR}. */
    int ATTRIBUTE_CC_MINOR = 76;

    /** {@code cuInit(0)}. */
    int init();

    /** {@code cuDriverGetVersion}: the newest CUDA version the driver supports, e.g. 12080 for 12.8. */
    int driverVersion(int[] version);

    /** {@code cuDeviceGetCount}. */
    int deviceCount(int[] count);

    /** {@code cuDeviceGetName} into {@code name} (NUL-terminated). */
    int name(int device, byte[] name);

    /** {@code cuDeviceTotalMem}. */
    int totalMemory(int device, long[] bytes);

    /** {@code cuDeviceGetAttribute}. */
    int attribute(int attribute, int device, int[] value);

    /**
     * Free and total memory of {@code device}: its primary context (the one the CUDA runtime and so libtorch use)
     * is retained and made current for {@code cuMemGetInfo}, then released.
     */
    int memoryInfo(int device, long[] free, long[] total);

    /** {@code cuGetErrorName}, e.g. {@code CUDA_ERROR_NO_DEVICE}; null when unknown. */
    String errorName(int code);
}
