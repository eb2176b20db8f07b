package org.layered.weights.residency;

/** Where a weight group lives between its uses. */
public enum WeightTier {
    /** Held on the compute device for the whole run. */
    DEVICE("device-resident"),
    /** Held in host memory (pinned when the device is a GPU) and copied to the device group by group. */
    HOST("streamed from host memory"),
    /** Read from the checkpoint file group by group (the page cache makes repeats cheaper). */
    FILE("streamed from the file");

    private final String description;

    WeightTier(String description) {
        this.description = description;
    }

    /** E.g. {@code streamed from host memory}. */
    public String description() {
        return description;
    }
}
