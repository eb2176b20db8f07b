package org.layered.fiji;

import org.layered.store.ModelNotFoundException;
import org.layered.store.ModelStore;
import org.layered.store.ModelStoreException;
import org.layered.store.ResolvedModel;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * The {@code model} option to a model folder: an existing folder is used as is; blank or {@code default} means the
 * default model ({@code Qwen/Qwen-Image-Layered}) from the model store (Fiji's {@code models/} folder, the Hugging
 * Face cache, the plugin's cache);
 * anything else is a model id or repository looked up in the store. Never downloads by itself: a missing model is
 * a one-line message naming {@link ModelDownload#MENU} and the command line, unless a {@link DownloadOffer} (the
 * interactive front ends) downloads it, after which the model is looked up again.
 */
public final class ModelLocator {
    /** Where a model was found. */
    public record Located(Path dir, String description) {}

    /** What an interactive front end does when the model is missing: ask, and download it on yes. */
    @FunctionalInterface
    public interface DownloadOffer {
        /**
         * @param missing what is missing (its size: {@link ModelNotFoundException#downloadBytes()})
         * @param store   the store the model was looked up in; download into it so the next look-up finds it
         * @return true when the model was downloaded (it is looked up again), false when declined
         * @throws DecomposeException when the download failed or was cancelled
         */
        boolean offer(ModelNotFoundException missing, ModelStore store) throws DecomposeException;
    }

    private final Supplier<ModelStore> store;
    private final DownloadOffer offer;

    public ModelLocator(Supplier<ModelStore> store) {
        this(store, null);
    }

    /** @param offer called when the model is missing; null: fail with the message */
    public ModelLocator(Supplier<ModelStore> store, DownloadOffer offer) {
        this.store = store;
        this.offer = offer;
    }

    /** This locator, offering to download a missing model with {@code o}. */
    public ModelLocator withDownloadOffer(DownloadOffer o) {
        return new ModelLocator(store, o);
    }

    /**
     * A locator over the store configured from the environment ({@code HF_HOME}, {@code LAYERED_CACHE}, ...) and,
     * inside Fiji, Fiji's models folder ({@link FijiApp}).
     */
    public static ModelLocator defaults() {
        return new ModelLocator(() -> new ModelStore(FijiApp.storeConfig()));
    }

    /** @throws DecomposeException saying where it looked and how to get the model */
    public Located locate(String model) throws DecomposeException {
        String ref = model == null ? "" : model.strip();
        if (!ref.isEmpty() && !ref.equalsIgnoreCase("default")) {
            Path p = asPath(ref);
            if (p != null && Files.isDirectory(p)) {
                return new Located(p.toAbsolutePath().normalize(), p.toAbsolutePath().normalize().toString());
            }
            if (p != null && Files.exists(p)) {
                throw new DecomposeException("model '" + ref + "' is a file; choose the model folder (the one with "
                        + "model_index.json)");
            }
            if (looksLikePath(ref)) {
                throw new DecomposeException("model folder not found: " + ref);
            }
        }
        String hint = ref.isEmpty() ? " (or set the model option to a model folder)" : "";
        try {
            ModelStore s = store.get();
            String id = ref.isEmpty() || ref.equalsIgnoreCase("default") ? s.defaultModel() : ref;
            ResolvedModel m;
            try {
                m = s.resolve(id).requireComplete();
            } catch (ModelNotFoundException e) {
                if (offer == null || !e.isDownloadable() || !offer.offer(e, s)) {
                    throw new DecomposeException(ModelDownload.notFound(e) + hint, e);
                }
                m = s.resolve(id).requireComplete();
            }
            return new Located(m.root(), m.summary());
        } catch (ModelStoreException e) {
            throw new DecomposeException(ModelDownload.message(e) + hint, e);
        } catch (RuntimeException e) {
            throw new DecomposeException("could not look up model '" + (ref.isEmpty() ? "default" : ref) + "': "
                    + e.getMessage(), e);
        }
    }

    private static Path asPath(String ref) {
        String s = ref.startsWith("~/") ? System.getProperty("user.home") + ref.substring(1) : ref;
        try {
            return Path.of(s);
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static boolean looksLikePath(String t) {
        return t.startsWith("/") || t.startsWith(".") || t.startsWith("~") || t.contains("\\")
                || t.matches("^[A-Za-z]:.*") || t.chars().filter(c -> c == '/').count() > 1;
    }
}
