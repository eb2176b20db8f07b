package org.layered.store;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.BooleanSupplier;

/**
 * One file of a {@link FetchPlan} for the {@link Downloader}: looked up with {@code HEAD resolve} (ETag, size,
 * CDN location), checked against the LFS sha256 or the git blob sha1, and written and put in place by the
 * {@link StoreLayout} (HF cache: {@code blobs/<etag>.incomplete}, renamed to {@code blobs/<etag>} and linked into
 * {@code snapshots/<commit>/<path>}). One lock per file content, so that two fetches never download the same.
 */
final class HubDownloadItem implements Downloader.Item {
    private final HubClient hub;
    private final StoreLayout layout;
    private final String repo;
    private final String commit;
    private final HubClient.RemoteFile file;

    HubDownloadItem(HubClient hub, StoreLayout layout, String repo, String commit, HubClient.RemoteFile file) {
        this.hub = hub;
        this.layout = layout;
        this.repo = repo;
        this.commit = commit;
        this.file = file;
    }

    @Override
    public String name() {
        return file.path();
    }

    @Override
    public String what() {
        return repo + "/" + file.path();
    }

    @Override
    public long plannedSize() {
        return file.size();
    }

    @Override
    public Downloader.Target resolve() throws ModelStoreException {
        HubClient.FileMetadata meta = hub.metadata(repo, commit, file.path());
        String what = what();
        String etag = meta.etag();
        try {
            HfCacheLayout.checkEtag(etag);
        } catch (IllegalArgumentException e) {
            throw new ModelStoreException(ModelStoreException.Reason.PROTOCOL, what + ": " + e.getMessage());
        }
        if (meta.commit() != null && !meta.commit().equals(commit)) {
            throw new ModelStoreException(ModelStoreException.Reason.PROTOCOL, what + ": the hub served commit "
                    + meta.commit() + " for a request at commit " + commit);
        }
        Hashes.Kind kind;
        String expected;
        if (file.lfsSha256() != null) {
            kind = Hashes.Kind.SHA256;
            expected = file.lfsSha256().toLowerCase(Locale.ROOT);
            if (HfCacheLayout.isSha256(etag) && !etag.equals(expected)) {
                throw new ModelStoreException(ModelStoreException.Reason.PROTOCOL, what + ": the listing says sha256 "
                        + expected + " but the hub's ETag is " + etag);
            }
        } else if (meta.lfs() && HfCacheLayout.isSha256(etag)) {
            kind = Hashes.Kind.SHA256;
            expected = etag;
        } else if (HfCacheLayout.isGitSha1(file.blobId())) {
            kind = Hashes.Kind.GIT_SHA1;
            expected = file.blobId();
        } else {
            kind = Hashes.kindOf(etag);
            expected = kind == Hashes.Kind.NONE ? null : etag;
        }
        long size = meta.size() >= 0 ? meta.size() : file.size();
        if (kind == Hashes.Kind.GIT_SHA1 && size < 0) {
            kind = Hashes.Kind.NONE;
            expected = null;
        }
        return new Blob(etag, size, kind, expected, meta.location());
    }

    private final class Blob implements Downloader.Target {
        private final String etag;
        private final long size;
        private final Hashes.Kind kind;
        private final String hash;
        private final URI location;

        Blob(String etag, long size, Hashes.Kind kind, String hash, URI location) {
            this.etag = etag;
            this.size = size;
            this.kind = kind;
            this.hash = hash;
            this.location = location;
        }

        @Override
        public URI location() {
            return location;
        }

        @Override
        public long size() {
            return size;
        }

        @Override
        public Downloader.Expected expected() {
            return new Downloader.Expected(kind, hash);
        }

        @Override
        public Path partial() {
            return layout.incomplete(repo, file.path(), etag);
        }

        @Override
        public Path lockFile() {
            return layout.lockFile(repo, file.path(), etag);
        }

        @Override
        public Path quarantineDir() {
            return layout.quarantineDir(repo);
        }

        @Override
        public boolean reuse(BooleanSupplier stop) throws IOException {
            return layout.reuse(repo, commit, file.path(), etag, new StoreLayout.Expected(kind, hash, size), stop);
        }

        @Override
        public void complete(Path partial, BooleanSupplier stop) throws IOException {
            layout.install(repo, commit, file.path(), etag, partial);
        }

        @Override
        public URI refreshLocation() throws ModelStoreException {
            return hub.metadata(repo, commit, file.path()).location(); // signed CDN URLs expire
        }
    }
}
