/**
 * The model store: where model checkpoints are found and how they get there, so that a user gets from
 * "installed the plugin" to "decomposing" without a terminal.
 *
 * <ul>
 *   <li>{@link org.layered.store.ModelStore} is the service front ends use: {@code resolve(ref)} (offline,
 *       read-only) and {@code fetch(ref, progress, cancel)} (on request only).</li>
 *   <li>{@link org.layered.store.ModelDescriptor}: what is known about a supported model without the network
 *       (repository, revision policy, components, sizes, licence, memory needs), read from the JSON files shipped
 *       under {@code org/layered/store/models/} (copies of the project's top-level {@code models/}).</li>
 *   <li>{@link org.layered.store.ModelResolver}: explicit folder, then given caches, a models folder (Fiji's
 *       {@code models/}), the Hugging Face cache, the plugin's cache. {@link org.layered.store.HfCacheLayout}: the
 *       {@code models--owner--name/refs|blobs|snapshots} layout shared with Python tools; {@code ModelFolderLayout}:
 *       plain model folders in huggingface_hub's {@code --local-dir} layout. Both are {@code StoreLayout}s the
 *       downloader writes through.</li>
 *   <li>{@link org.layered.store.HubClient} (listing, resolve, ranged GET) and the package-private
 *       {@code Downloader} (resumable, locked, verified, quarantining); {@link org.layered.store.DownloadProgress}
 *       is the listener.</li>
 *   <li>{@link org.layered.store.ModelVerifier}: recomputes sha256 / git-sha1 against the cache's blob names.</li>
 * </ul>
 */
package org.layered.store;
