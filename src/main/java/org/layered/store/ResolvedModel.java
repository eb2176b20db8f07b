package org.layered.store;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A model reference found on disk: the folder to load (a plain folder or an HF-cache snapshot), where it came
 * from, and, for a supported model, which of the descriptor's components are present.
 *
 * @param reference   the reference as given
 * @param root        the model folder (for the HF cache: {@code snapshots/<commit>/})
 * @param source      where it was found
 * @param cacheRoot   the cache folder it was found in, or null for a plain folder
 * @param repo        the repository id, or null for a plain folder
 * @param revision    the revision asked for (branch, tag or commit), or null for a plain folder
 * @param commit      the snapshot's commit, or null for a plain folder
 * @param descriptor  the supported model's descriptor, or null
 * @param components  status of each descriptor component (empty without descriptor)
 * @param notes       remarks for the user (how the snapshot was chosen, config keys missing, ...)
 */
public record ResolvedModel(String reference, Path root, Source source, Path cacheRoot, String repo,
        String revision, String commit, ModelDescriptor descriptor, List<ComponentStatus> components,
        List<String> notes) {

    /** Where a model was found, in resolution order. */
    public enum Source {
        /** A folder named explicitly. */
        FOLDER("folder"),
        /** A cache folder given explicitly (e.g. {@code --cache DIR}). */
        GIVEN_CACHE("cache"),
        /** A models folder of plain model folders, such as {@code Fiji.app/models/}. */
        MODELS_FOLDER("models folder"),
        /** The Hugging Face hub cache ({@code HF_HUB_CACHE}, {@code HF_HOME/hub}, {@code ~/.cache/...}). */
        HF_CACHE("HF cache"),
        /** The plugin's own cache folder. */
        PLUGIN_CACHE("plugin cache");

        private final String label;

        Source(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /** Presence of one descriptor component. */
    public enum State { PRESENT, INCOMPLETE, MISSING }

    /**
     * One component's status.
     *
     * @param missingFiles  repository paths that should be there and are not (or are dangling links)
     * @param bytesOnDisk   size of the component's files found
     * @param warnings      non-fatal findings (a config key missing, an unparsable config)
     */
    public record ComponentStatus(ModelDescriptor.Component component, State state, List<String> missingFiles,
            long bytesOnDisk, List<String> warnings) {
        public String name() {
            return component.name();
        }
    }

    public ResolvedModel {
        components = List.copyOf(components);
        notes = List.copyOf(notes);
    }

    public Optional<ModelDescriptor> descriptorIfAny() {
        return Optional.ofNullable(descriptor);
    }

    /** Whether every required component is present (always true without a descriptor: a folder is taken as is). */
    public boolean isComplete() {
        return components.stream().noneMatch(c -> c.component().required() && c.state() != State.PRESENT);
    }

    /** Whether any descriptor component has files here. */
    public boolean hasAnyComponent() {
        return descriptor == null || components.stream().anyMatch(c -> c.state() != State.MISSING);
    }

    /** Required components that are missing or incomplete. */
    public List<ComponentStatus> missingRequired() {
        return components.stream().filter(c -> c.component().required() && c.state() != State.PRESENT).toList();
    }

    /** Optional components that are missing or incomplete. */
    public List<ComponentStatus> missingOptional() {
        return components.stream().filter(c -> !c.component().required() && c.state() != State.PRESENT).toList();
    }

    public Optional<ComponentStatus> component(String name) {
        return components.stream().filter(c -> c.name().equals(name)).findFirst();
    }

    /**
     * Returns this model when complete.
     *
     * @throws ModelStoreException {@code INCOMPLETE}, naming the missing components and how to resume
     */
    public ResolvedModel requireComplete() throws ModelStoreException {
        if (isComplete()) {
            return this;
        }
        long left = missingRequired().stream().mapToLong(c -> Math.max(0, c.component().bytes() - c.bytesOnDisk()))
                .sum();
        String names = String.join(", ", missingRequired().stream().map(c -> c.name() + " ("
                + c.state().name().toLowerCase(Locale.ROOT) + ")").toList());
        String resume = repo == null ? "" : "; complete it with 'layered fetch --model " + repo
                + (revision == null ? "" : " --revision " + revision) + "'" + (left > 0 ? " (about "
                + Sizes.si(left) + " left)" : "");
        throw new ModelStoreException(ModelStoreException.Reason.INCOMPLETE,
                "model " + reference + " in " + root + " is incomplete: " + names + resume);
    }

    /** One line: what, where from, which commit. */
    public String summary() {
        StringBuilder b = new StringBuilder();
        b.append(repo != null ? repo : root.toString());
        if (revision != null && commit != null && !revision.equals(commit)) {
            b.append('@').append(revision).append(" (commit ").append(commit, 0, Math.min(12, commit.length()))
                    .append(')');
        } else if (commit != null) {
            b.append(" (commit ").append(commit, 0, Math.min(12, commit.length())).append(')');
        }
        b.append(" from ").append(source.label());
        if (cacheRoot != null) {
            b.append(' ').append(cacheRoot);
        }
        if (!isComplete()) {
            b.append(" [incomplete]");
        }
        return b.toString();
    }
}
