package org.layered.engine;

import ai.djl.Device;

/**
 * A resolved device that tensors live on. Only the engine package sees the DJL {@link Device} inside.
 */
public final class ComputeDevice {
    public static final ComputeDevice CPU = new ComputeDevice(Device.cpu());

    private final Device device;

    ComputeDevice(Device device) {
        this.device = device;
    }

    Device djl() {
        return device;
    }

    /** Whether this is a CUDA GPU. */
    public boolean isCuda() {
        return device.isGpu();
    }

    /** The CUDA ordinal of a GPU; -1 for the CPU. */
    public int cudaIndex() {
        return device.isGpu() ? device.getDeviceId() : -1;
    }

    /** The libtorch device string, e.g. {@code cpu} or {@code cuda:0}. */
    public String torchName() {
        return device.isGpu() ? "cuda:" + device.getDeviceId() : "cpu";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ComputeDevice d && d.device.equals(device);
    }

    @Override
    public int hashCode() {
        return device.hashCode();
    }

    @Override
    public String toString() {
        return torchName();
    }
}
