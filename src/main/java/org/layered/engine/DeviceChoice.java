package org.layered.engine;

/**
 * What a device request resolved to, and why: {@code auto → cuda:0 (NVIDIA H100 80GB HBM3, 79.1 GiB)} or
 * {@code auto → cpu (libtorch 2.7.1 cpu is a CPU build)}. Logs, Info and manifests report it.
 *
 * @param requested what was asked for
 * @param device    the device used
 * @param detail    the device's description and, for {@code auto}, why it was chosen
 */
public record DeviceChoice(DeviceSpec requested, ComputeDevice device, String detail) {
    /** One line for a log or a manifest. */
    public String summary() {
        return (requested.kind() == DeviceSpec.Kind.AUTO ? "auto → " : "") + device + " (" + detail + ")";
    }
}
