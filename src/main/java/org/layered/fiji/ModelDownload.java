package org.layered.fiji;

import org.layered.store.DownloadProgress;
import org.layered.store.FetchPlan;
import org.layered.store.ModelNotFoundException;
import org.layered.store.ModelStore;
import org.layered.store.ModelStoreException;
import org.layered.store.ResolvedModel;
import org.layered.store.Sizes;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.BooleanSupplier;

/**
 * The download code shared by Plugins > Layered > Download Model... (ImageJ 1.x and SciJava) and the offer of the
 * Decompose commands when the model is missing: the store from the {@code cache}/{@code endpoint} options, the
 * fetch with its failures as one-line {@link DecomposeException}s, and the messages.
 */
public final class ModelDownload {
    /** The menu command, as named in messages. */
    public static final String MENU = "Plugins > Layered > Download Model...";

    private ModelDownload() {}

    /** The places Download Model... offers, as its dialogs and macros name them, in search order. */
    public static final List<ResolvedModel.Source> PLACES = List.of(ResolvedModel.Source.MODELS_FOLDER,
            ResolvedModel.Source.HF_CACHE, ResolvedModel.Source.PLUGIN_CACHE);

    /**
     * The store for the command's options.
     *
     * @param cache    a cache folder to download into (and search first); blank = one of the usual places
     * @param endpoint a hub URL; blank = {@code HF_ENDPOINT} or https://huggingface.co
     * @param location which usual place to download into ({@link #label}); blank = the store's default
     * @throws IllegalArgumentException for an endpoint that is not an http(s) URL, or an unknown location
     */
    public static ModelStore store(String cache, String endpoint, String location) {
        ModelStore.Config cfg = FijiApp.storeConfig();
        if (cache != null && !cache.isBlank()) {
            cfg.addCache(Path.of(cache.strip()));
        }
        if (endpoint != null && !endpoint.isBlank()) {
            cfg.endpoint(endpoint(endpoint.strip()));
        }
        ResolvedModel.Source place = location(location);
        if (place != null && (cache == null || cache.isBlank())) {
            cfg.downloadTo(place);
        }
        ModelStore store = new ModelStore(cfg);
        if (place == ResolvedModel.Source.MODELS_FOLDER && store.destinations().stream()
                .noneMatch(d -> d.source() == place)) {
            throw new IllegalArgumentException("there is no Fiji models folder outside Fiji; choose location="
                    + label(ResolvedModel.Source.HF_CACHE) + " or " + label(ResolvedModel.Source.PLUGIN_CACHE));
        }
        return store;
    }

    /** A place as dialogs and macros name it: "Fiji models folder", "Hugging Face cache", "Plugin cache". */
    public static String label(ResolvedModel.Source place) {
        return switch (place) {
            case MODELS_FOLDER -> "Fiji models folder";
            case HF_CACHE -> "Hugging Face cache";
            case PLUGIN_CACHE -> "Plugin cache";
            default -> place.label();
        };
    }

    /**
     * The place a {@code location} option names (its label, any case, or {@code fiji}, {@code hf},
     * {@code plugin}); null when blank.
     *
     * @throws IllegalArgumentException for anything else, naming the choices
     */
    public static ResolvedModel.Source location(String value) {
        String v = value == null ? "" : value.strip().toLowerCase(Locale.ROOT);
        if (v.isEmpty()) {
            return null;
        }
        for (ResolvedModel.Source s : PLACES) {
            if (v.equals(label(s).toLowerCase(Locale.ROOT))) {
                return s;
            }
        }
        return switch (v) {
            case "fiji", "models", "models folder" -> ResolvedModel.Source.MODELS_FOLDER;
            case "hf", "huggingface", "hugging face" -> ResolvedModel.Source.HF_CACHE;
            case "plugin" -> ResolvedModel.Source.PLUGIN_CACHE;
            default -> throw new IllegalArgumentException("location must be " + String.join(", ", PLACES.stream()
                    .map(ModelDownload::label).toList()) + ", got '" + value.strip() + "'");
        };
    }

    /** The places this store can download into (the models folder only inside Fiji), in search order. */
    public static List<ModelStore.Destination> places(ModelStore store) {
        return store.destinations().stream().filter(d -> PLACES.contains(d.source())).toList();
    }

    /** Where this store downloads to, for a question: "the Hugging Face cache, /path (12.3 GB free)". */
    public static String destination(ModelStore store) {
        ModelStore.Destination d = store.downloadDestination();
        long free = store.usableBytes(d);
        String what = d.source() == ResolvedModel.Source.GIVEN_CACHE ? "" : "the " + label(d.source()) + ", ";
        return what + d.root() + (free >= 0 ? " (" + Sizes.si(free) + " free)" : "");
    }

    /** One line per place for a dialog: label, folder and free space. */
    public static String placesText(ModelStore store) {
        StringBuilder b = new StringBuilder();
        for (ModelStore.Destination d : places(store)) {
            long free = store.usableBytes(d);
            b.append(b.length() == 0 ? "" : "\n").append(label(d.source())).append(": ").append(d.root())
                    .append(free >= 0 ? " (" + Sizes.si(free) + " free)" : "");
        }
        return b.toString();
    }

    static URI endpoint(String e) {
        URI u;
        try {
            u = URI.create(e);
        } catch (IllegalArgumentException ex) {
            u = null;
        }
        if (u == null || u.getScheme() == null || u.getHost() == null
                || !(u.getScheme().equalsIgnoreCase("http") || u.getScheme().equalsIgnoreCase("https"))) {
            throw new IllegalArgumentException("endpoint must be an http(s) URL, got '" + e + "'");
        }
        return u;
    }

    /** The model reference to download: blank or {@code default} = the store's default model. */
    public static String ref(ModelStore store, String model) {
        String m = model == null ? "" : model.strip();
        return m.isEmpty() || m.equalsIgnoreCase("default") ? store.defaultModel() : m;
    }

    /** What the hub has and what is still to download. @throws DecomposeException one line */
    public static FetchPlan plan(ModelStore store, String ref) throws DecomposeException {
        try {
            return store.plan(ref);
        } catch (ModelStoreException e) {
            throw new DecomposeException(message(e), e);
        }
    }

    /** The confirmation question for a plan. */
    public static String question(FetchPlan plan) {
        StringBuilder b = new StringBuilder();
        b.append("Download ").append(plan.repo()).append('@').append(plan.revision()).append("?\n\n");
        b.append(plan.toDownload().size()).append(" of ").append(plan.files().size()).append(" file(s), ")
                .append(Sizes.si(plan.bytesToDownload())).append(" to download (model ")
                .append(Sizes.si(plan.totalBytes())).append(")\ninto ").append(plan.cacheRoot());
        if (plan.usableBytes() >= 0) {
            b.append("\n(").append(Sizes.si(plan.usableBytes())).append(" free)");
        }
        if (plan.descriptor() != null) {
            b.append("\n\nLicence: ").append(plan.descriptor().licence().spdx());
            if (plan.descriptor().licence().url() != null) {
                b.append(" (").append(plan.descriptor().licence().url()).append(')');
            }
        }
        b.append("\n\nAn interrupted download resumes where it stopped.");
        return b.toString();
    }

    /**
     * Downloads {@code ref} into the store's download cache.
     *
     * @throws DecomposeException one line, for every failure; {@link #isCancelled} tells a cancellation
     */
    public static ModelStore.FetchResult fetch(ModelStore store, String ref, DownloadProgress progress,
            BooleanSupplier cancel) throws DecomposeException {
        try {
            return store.fetch(ref, progress, cancel);
        } catch (ModelStoreException e) {
            if (e.reason() == ModelStoreException.Reason.CANCELLED) {
                throw new DecomposeException("download cancelled; the files downloaded so far are kept: run "
                        + "Download Model... again to resume", e);
            }
            throw new DecomposeException(message(e), e);
        } catch (RuntimeException e) {
            throw new DecomposeException("download of " + ref + " failed: " + Messages.forImageJ(e), e);
        }
    }

    /** Whether a failure of {@link #fetch} is the user's cancellation. */
    public static boolean isCancelled(DecomposeException e) {
        return e.getCause() instanceof ModelStoreException s && s.reason() == ModelStoreException.Reason.CANCELLED;
    }

    /** The result line for the log. */
    public static String summary(ModelStore.FetchResult r) {
        ResolvedModel m = r.model();
        long reused = r.filesReused() + r.plan().files().stream().filter(FetchPlan.PlannedFile::present).count();
        return String.format(Locale.ROOT, "Layered: %s: %d file(s) downloaded (%s), %d already there, in %s; "
                + "model folder: %s%s", r.plan().repo(), r.filesDownloaded(), Sizes.si(r.bytesTransferred()),
                reused, Sizes.duration(Math.max(0, r.elapsed().toSeconds())), m.root(),
                m.isComplete() ? "" : " (incomplete: " + String.join(", ", m.missingRequired().stream()
                        .map(ResolvedModel.ComponentStatus::name).toList()) + ")");
    }

    /** A store message for ImageJ users: one line, command-line advice replaced by the menu command. */
    public static String message(ModelStoreException e) {
        return Messages.forImageJ(e.getMessage());
    }

    /** The one-line message for a missing model, naming the menu command, with the download size when known. */
    public static String notFound(ModelNotFoundException e) {
        if (!e.isDownloadable()) {
            return Messages.forImageJ(e.getMessage());
        }
        String repo = e.ref().repo();
        String rev = e.ref().revision();
        StringBuilder b = new StringBuilder("model ").append(repo);
        if (rev != null) {
            b.append(" at revision ").append(rev);
        }
        b.append(" not found (searched ").append(e.searched().isEmpty() ? "no cache folders"
                : String.join(", ", e.searched().stream().map(Path::toString).toList())).append("); download it");
        if (e.downloadBytes().isPresent()) {
            b.append(" (").append(Sizes.si(e.downloadBytes().getAsLong())).append(')');
        }
        return b.append(" with ").append(MENU).append(" (model=").append(e.ref()).append(')').toString();
    }

    /** The question asked before downloading a missing model. */
    public static String offer(ModelNotFoundException e) {
        return "Model " + e.ref() + " not found \u2014 download it"
                + (e.downloadBytes().isPresent() ? " (" + Sizes.si(e.downloadBytes().getAsLong()) + ")" : "")
                + " now?";
    }
}
