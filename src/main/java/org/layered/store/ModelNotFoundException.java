package org.layered.store;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * No local copy of a model reference was found. Carries what a front end needs to offer the download
 * ("model not found — download it (58 GB)?") without any network access: the descriptor (when the model is a
 * supported one), its approximate download size and the folders that were searched.
 */
public final class ModelNotFoundException extends ModelStoreException {
    private final ModelRef ref;
    private final transient ModelDescriptor descriptor;
    private final List<Path> searched;

    ModelNotFoundException(ModelRef ref, ModelDescriptor descriptor, List<Path> searched, String message) {
        super(Reason.NOT_FOUND, message);
        this.ref = ref;
        this.descriptor = descriptor;
        this.searched = List.copyOf(searched);
    }

    public ModelRef ref() {
        return ref;
    }

    /** The supported model's descriptor, empty for an unknown repository or a folder. */
    public Optional<ModelDescriptor> descriptor() {
        return Optional.ofNullable(descriptor);
    }

    /** The cache folders that were searched, in order. */
    public List<Path> searched() {
        return searched;
    }

    /** Whether {@link ModelStore#fetch} can download the reference (a repository id, not a folder). */
    public boolean isDownloadable() {
        return ref.isRepo();
    }

    /** Approximate download size in bytes, from the descriptor; empty when unknown. */
    public OptionalLong downloadBytes() {
        return descriptor == null ? OptionalLong.empty() : OptionalLong.of(descriptor.approxDownloadBytes());
    }

    /** The command line that downloads the model. */
    public String fetchCommand() {
        return "layered fetch --model " + ref.repo()
                + (ref.revision() == null ? "" : " --revision " + ref.revision());
    }
}
