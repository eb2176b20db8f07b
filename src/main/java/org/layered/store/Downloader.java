package org.layered.store;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpHeaders;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Downloads the files of a {@link FetchPlan} into a {@link StoreLayout}: the HF cache layout (described here) or a
 * plain model folder, which differs only in where the files are written and how they are put in place.
 *
 * <ul>
 *   <li>Each file goes to {@code blobs/<etag>.incomplete}, resumed with {@code Range: bytes=N-} after a broken
 *       transfer (in this run, up to {@code maxRetries} times with backoff, or in a later run), restarted from zero
 *       when the server ignores the range.</li>
 *   <li>The content is hashed while it is written (a resumed file's existing part first) and checked against the
 *       LFS sha256 (the hub's {@code X-Linked-Etag}) or the git blob sha1 of small files, and against the size.
 *       A mismatch moves the file to {@code .quarantine/}; it is never linked into a snapshot.</li>
 *   <li>Only then is it renamed to {@code blobs/<etag>} and linked into {@code snapshots/<commit>/<path>}.</li>
 *   <li>Parallel safety: one lock per blob, {@code .locks/models--.../<etag>.lock}, held with a file lock across
 *       processes and a lock within this JVM; whoever gets it second finds the blob done.</li>
 *   <li>A transfer that delivers no byte for {@code stallTimeout} is aborted and retried.</li>
 * </ul>
 */
final class Downloader {
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes\\s+(\\d+)-(\\d+)/(\\d+|\\*)");
    private static final ConcurrentHashMap<Path, ReentrantLock> LOCAL_LOCKS = new ConcurrentHashMap<>();
    private static final AtomicInteger THREADS = new AtomicInteger();
    /** Bytes an attempt must have delivered for its failure not to count against the retry limit. */
    private static final long PROGRESS_RESETS_RETRIES = 8L << 20;

    record Options(int parallel, int maxRetries, Duration backoff, Duration stallTimeout) {}

    record Result(int downloaded, int reused, long bytesTransferred) {}

    private final HubClient hub;
    private final StoreLayout layout;
    private final Options opt;
    private final Set<Transfer> active = ConcurrentHashMap.newKeySet();

    Downloader(HubClient hub, StoreLayout layout, Options opt) {
        this.hub = hub;
        this.layout = layout;
        this.opt = opt;
    }

    /** One open transfer, watched for stalls and cancellation. */
    private static final class Transfer {
        final InputStream in;
        volatile long lastByte = System.nanoTime();
        volatile boolean stalled;

        Transfer(InputStream in) {
            this.in = in;
        }
    }

    Result run(FetchPlan plan, ProgressTracker t, BooleanSupplier cancel) throws ModelStoreException {
        // small files (configs, indexes) first: they fail fast on access problems and are quick to have
        List<FetchPlan.PlannedFile> todo = plan.toDownload().stream()
                .sorted(java.util.Comparator.comparingLong(f -> f.file().size())).toList();
        long presentBytes = plan.files().stream().filter(FetchPlan.PlannedFile::present)
                .mapToLong(f -> Math.max(0, f.file().size())).sum();
        t.start(DownloadProgress.Phase.DOWNLOADING, plan.totalBytes(), presentBytes, plan.files().size(),
                plan.files().size() - todo.size());
        if (todo.isEmpty()) {
            return new Result(0, 0, 0);
        }
        AtomicBoolean abort = new AtomicBoolean();
        BooleanSupplier stop = () -> abort.get() || cancel.getAsBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(opt.parallel(), todo.size())), r -> {
            Thread th = new Thread(r, "layered-download-" + THREADS.incrementAndGet());
            th.setDaemon(true);
            return th;
        });
        ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread th = new Thread(r, "layered-download-watchdog");
            th.setDaemon(true);
            return th;
        });
        long period = Math.max(50, Math.min(1000, opt.stallTimeout().toMillis() / 4));
        watchdog.scheduleAtFixedRate(() -> watch(cancel, abort), period, period, TimeUnit.MILLISECONDS);
        CompletionService<DownloadProgress.FileOutcome> cs = new ExecutorCompletionService<>(pool);
        for (FetchPlan.PlannedFile f : todo) {
            cs.submit(() -> one(plan, f, t, stop, cancel));
        }
        int downloaded = 0;
        int reused = 0;
        ModelStoreException first = null;
        try {
            for (int i = 0; i < todo.size(); i++) {
                try {
                    DownloadProgress.FileOutcome o = cs.take().get();
                    if (o == DownloadProgress.FileOutcome.DOWNLOADED) {
                        downloaded++;
                    } else {
                        reused++;
                    }
                } catch (ExecutionException e) {
                    ModelStoreException m = e.getCause() instanceof ModelStoreException x ? x
                            : new ModelStoreException(ModelStoreException.Reason.LOCAL_IO, HubClient.describe(
                                    e.getCause()), e.getCause());
                    abort.set(true);
                    if (first == null || (first.reason() == ModelStoreException.Reason.CANCELLED
                            && m.reason() != ModelStoreException.Reason.CANCELLED && !cancel.getAsBoolean())) {
                        if (first != null) {
                            m.addSuppressed(first);
                        }
                        first = m;
                    } else if (first != m) {
                        first.addSuppressed(m);
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            abort.set(true);
            first = new ModelStoreException(ModelStoreException.Reason.CANCELLED, "download interrupted; partial "
                    + "files are kept, fetch again to resume");
        } finally {
            pool.shutdownNow();
            watchdog.shutdownNow();
            try {
                pool.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (first != null) {
            if (cancel.getAsBoolean() && first.reason() != ModelStoreException.Reason.CANCELLED) {
                ModelStoreException c = cancelled();
                c.addSuppressed(first);
                throw c;
            }
            throw first;
        }
        return new Result(downloaded, reused, t.transferred());
    }

    private void watch(BooleanSupplier cancel, AtomicBoolean abort) {
        boolean stop = abort.get() || cancel.getAsBoolean();
        long now = System.nanoTime();
        for (Transfer tr : active) {
            boolean stall = now - tr.lastByte > opt.stallTimeout().toNanos();
            if (stop || stall) {
                tr.stalled = stall && !stop;
                try {
                    tr.in.close();
                } catch (IOException | RuntimeException e) {
                    // closing is best effort; the reader sees the failure
                }
            }
        }
    }

    private static ModelStoreException cancelled() {
        return new ModelStoreException(ModelStoreException.Reason.CANCELLED, "download cancelled; partial files are "
                + "kept, fetch again to resume");
    }

    private static void check(BooleanSupplier stop) throws ModelStoreException {
        if (stop.getAsBoolean() || Thread.currentThread().isInterrupted()) {
            throw cancelled();
        }
    }

    private DownloadProgress.FileOutcome one(FetchPlan plan, FetchPlan.PlannedFile pf, ProgressTracker t,
            BooleanSupplier stop, BooleanSupplier cancel) throws Exception {
        String repo = plan.repo();
        String commit = plan.commit();
        HubClient.RemoteFile rf = pf.file();
        String what = repo + "/" + rf.path();
        check(stop);
        HubClient.FileMetadata meta = withRetries(() -> hub.metadata(repo, commit, rf.path()), what, t, stop);
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
        if (rf.lfsSha256() != null) {
            kind = Hashes.Kind.SHA256;
            expected = rf.lfsSha256().toLowerCase(java.util.Locale.ROOT);
            if (HfCacheLayout.isSha256(etag) && !etag.equals(expected)) {
                throw new ModelStoreException(ModelStoreException.Reason.PROTOCOL, what + ": the listing says sha256 "
                        + expected + " but the hub's ETag is " + etag);
            }
        } else if (meta.lfs() && HfCacheLayout.isSha256(etag)) {
            kind = Hashes.Kind.SHA256;
            expected = etag;
        } else if (HfCacheLayout.isGitSha1(rf.blobId())) {
            kind = Hashes.Kind.GIT_SHA1;
            expected = rf.blobId();
        } else {
            kind = Hashes.kindOf(etag);
            expected = kind == Hashes.Kind.NONE ? null : etag;
        }
        long size = meta.size() >= 0 ? meta.size() : rf.size();
        if (kind == Hashes.Kind.GIT_SHA1 && size < 0) {
            kind = Hashes.Kind.NONE;
        }
        Path lockPath = layout.lockFile(repo, rf.path(), etag).toAbsolutePath().normalize();
        ReentrantLock local = LOCAL_LOCKS.computeIfAbsent(lockPath, k -> new ReentrantLock());
        boolean said = false;
        while (!local.tryLock(100, TimeUnit.MILLISECONDS)) {
            check(stop);
            if (!said) {
                t.message("waiting: another download of " + rf.path() + " is running");
                said = true;
            }
        }
        try {
            Files.createDirectories(lockPath.getParent());
            try (FileChannel lc = FileChannel.open(lockPath, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                    FileLock fl = acquire(lc, rf.path(), t, stop)) {
                if (layout.reuse(repo, commit, rf.path(), etag, new StoreLayout.Expected(kind, expected, size), stop)) {
                    t.addPresent(Math.max(0, size));
                    t.fileFinished(rf.path(), size, DownloadProgress.FileOutcome.REUSED);
                    return DownloadProgress.FileOutcome.REUSED;
                }
                Path verified = transfer(repo, commit, rf.path(), meta, etag, size, kind, expected, t, stop);
                layout.install(repo, commit, rf.path(), etag, verified);
                t.fileFinished(rf.path(), size, DownloadProgress.FileOutcome.DOWNLOADED);
                return DownloadProgress.FileOutcome.DOWNLOADED;
            }
        } catch (ModelStoreException e) {
            throw e;
        } catch (IOException e) {
            throw local(what, e);
        } finally {
            local.unlock();
        }
    }

    private static FileLock acquire(FileChannel lc, String path, ProgressTracker t, BooleanSupplier stop)
            throws IOException {
        boolean said = false;
        while (true) {
            FileLock l;
            try {
                l = lc.tryLock();
            } catch (OverlappingFileLockException e) {
                l = null;
            }
            if (l != null) {
                return l;
            }
            check(stop);
            if (!said) {
                t.message("waiting: another process is downloading " + path);
                said = true;
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw cancelled();
            }
        }
    }

    private static ModelStoreException local(String what, IOException e) {
        if (ModelStoreException.isDiskFull(e)) {
            return new ModelStoreException(ModelStoreException.Reason.DISK_FULL, what + ": disk full ("
                    + e.getMessage() + "); free some space and fetch again to resume", e);
        }
        return new ModelStoreException(ModelStoreException.Reason.LOCAL_IO, what + ": " + HubClient.describe(e), e);
    }

    private interface Call<T> {
        T call() throws ModelStoreException;
    }

    private <T> T withRetries(Call<T> c, String what, ProgressTracker t, BooleanSupplier stop)
            throws ModelStoreException {
        for (int failures = 0; ; ) {
            try {
                return c.call();
            } catch (ModelStoreException e) {
                if (!e.isRetryable() || ++failures > opt.maxRetries()) {
                    throw e;
                }
                t.message(what + ": " + e.getMessage() + "; retrying (" + failures + "/" + opt.maxRetries() + ")");
                sleep(failures, stop);
            }
        }
    }

    private void sleep(int failures, BooleanSupplier stop) throws ModelStoreException {
        long ms = Math.min(30_000, opt.backoff().toMillis() << Math.min(10, failures - 1));
        long end = System.nanoTime() + ms * 1_000_000;
        while (System.nanoTime() < end) {
            check(stop);
            try {
                Thread.sleep(Math.min(100, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw cancelled();
            }
        }
    }

    /** Downloads (or resumes) one file into its incomplete file and verifies it; returns the verified file. */
    private Path transfer(String repo, String commit, String path, HubClient.FileMetadata meta0, String etag,
            long size, Hashes.Kind kind, String expected, ProgressTracker t, BooleanSupplier stop)
            throws IOException {
        String what = repo + "/" + path;
        Path inc = layout.incomplete(repo, path, etag);
        Files.createDirectories(inc.getParent());
        long have = Files.isRegularFile(inc) ? Files.size(inc) : 0;
        if (size >= 0 && have > size) {
            truncate(inc, 0);
            have = 0;
        }
        MessageDigest md = Hashes.start(kind, size);
        if (have > 0) {
            t.message(path + ": resuming at " + Sizes.si(have) + " of " + Sizes.si(size)
                    + (md != null && have > (64L << 20) ? " (hashing the part already there first)" : ""));
            if (md != null) {
                Hashes.update(md, inc, have, n -> { }, stop);
            }
            t.addPresent(have);
        }
        t.fileStarted(path, size, have);
        URI location = meta0.location();
        int failures = 0;
        boolean refresh = false;
        long attemptStart = have;
        while (size < 0 || have < size) {
            check(stop);
            if (have - attemptStart >= PROGRESS_RESETS_RETRIES) {
                failures = 0; // a long transfer that broke after real progress starts a fresh series of retries
            }
            attemptStart = have;
            try {
                if (refresh) {
                    location = hub.metadata(repo, commit, path).location(); // signed CDN URLs expire
                    refresh = false;
                }
                HttpResponse<InputStream> r = hub.open(location, have, what);
                Transfer tr = new Transfer(r.body());
                active.add(tr);
                try (InputStream in = r.body()) {
                    int sc = r.statusCode();
                    if (sc == 416) {
                        if (size >= 0 && have == size) {
                            break;
                        }
                        have = restart(inc, have, t, path, "the server refused the range");
                        md = Hashes.start(kind, size);
                        throw new IOException("HTTP 416 for a resume at byte " + have);
                    }
                    if (sc == 200 && have > 0) {
                        have = restart(inc, have, t, path, "the server ignored the range request");
                        md = Hashes.start(kind, size);
                    } else if (sc == 206) {
                        long start = contentRangeStart(r.headers());
                        if (start != have) {
                            throw new IOException("server sent bytes from " + start + ", asked for " + have);
                        }
                    }
                    long[] pos = {have};
                    try {
                        copy(in, tr, inc, pos, size, md, t, stop, what);
                    } finally {
                        have = pos[0]; // bytes written and hashed, also when the transfer broke
                    }
                    if (size < 0) {
                        break;
                    }
                    if (have < size) {
                        throw new IOException("connection closed after " + have + " of " + size + " bytes");
                    }
                } finally {
                    active.remove(tr);
                    if (tr.stalled) {
                        long ms = opt.stallTimeout().toMillis();
                        t.message(path + ": no data for " + (ms >= 1000 ? ms / 1000 + " s" : ms + " ms")
                                + ", reconnecting");
                    }
                }
            } catch (ModelStoreException e) {
                if (e.reason() == ModelStoreException.Reason.CANCELLED || !e.isRetryable()) {
                    throw e;
                }
                failures = failed(failures, what, e, have, size, t, stop);
                refresh = true;
            } catch (IOException e) {
                check(stop);
                failures = failed(failures, what, e, have, size, t, stop);
                refresh = true;
            }
        }
        // verify before the file can ever be used
        String actual = md == null ? null : Hashes.hex(md.digest());
        long got = Files.size(inc);
        if ((size >= 0 && got != size) || (expected != null && !expected.equals(actual))) {
            Path q = quarantine(repo, etag, inc);
            String why = size >= 0 && got != size ? "size " + got + " instead of " + size
                    : kind.label + " " + actual + " instead of " + expected;
            throw new ModelStoreException(ModelStoreException.Reason.CHECKSUM_MISMATCH, what
                    + ": downloaded file does not match the hub's checksum (" + why + "); moved to " + q
                    + " and not used. Fetch again to download it anew");
        }
        return inc;
    }

    private int failed(int failures, String what, Exception e, long have, long size, ProgressTracker t,
            BooleanSupplier stop) throws ModelStoreException {
        int f = failures + 1;
        if (f > opt.maxRetries()) {
            throw new ModelStoreException(ModelStoreException.Reason.NETWORK, what + ": download failed after "
                    + f + " attempt(s) at " + Sizes.si(have) + (size >= 0 ? " of " + Sizes.si(size) : "") + " ("
                    + (e instanceof ModelStoreException ? e.getMessage() : HubClient.describe(e))
                    + "); the partial file is kept, fetch again to resume", e, true);
        }
        t.message(what + ": transfer broke at " + Sizes.si(have) + " (" + (e instanceof ModelStoreException
                ? e.getMessage() : HubClient.describe(e)) + "); resuming (" + f + "/" + opt.maxRetries() + ")");
        sleep(f, stop);
        return f;
    }

    private static long restart(Path inc, long have, ProgressTracker t, String path, String why)
            throws IOException {
        t.message(path + ": " + why + "; starting over");
        truncate(inc, 0);
        t.retract(have);
        return 0;
    }

    private static void truncate(Path f, long length) throws IOException {
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            ch.truncate(length);
        }
    }

    /** Appends the stream to {@code inc} from {@code pos[0]}, hashing; {@code pos[0]} always tells what is there. */
    private void copy(InputStream in, Transfer tr, Path inc, long[] pos, long size, MessageDigest md,
            ProgressTracker t, BooleanSupplier stop, String what) throws IOException {
        byte[] buf = new byte[1 << 20];
        try (FileChannel out = FileChannel.open(inc, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            out.truncate(pos[0]);
            out.position(pos[0]);
            while (true) {
                int n;
                try {
                    n = in.read(buf);
                } catch (IOException e) {
                    check(stop);
                    throw e;
                }
                if (n < 0) {
                    return;
                }
                tr.lastByte = System.nanoTime();
                if (n == 0) {
                    continue;
                }
                if (size >= 0 && pos[0] + n > size) {
                    throw new ModelStoreException(ModelStoreException.Reason.PROTOCOL, what + ": the server sent more "
                            + "than the announced " + size + " bytes");
                }
                ByteBuffer b = ByteBuffer.wrap(buf, 0, n);
                try {
                    while (b.hasRemaining()) {
                        out.write(b);
                    }
                } catch (IOException e) {
                    throw local(what, e);
                }
                if (md != null) {
                    md.update(buf, 0, n);
                }
                pos[0] += n;
                t.add(n);
                check(stop);
            }
        }
    }

    private static long contentRangeStart(HttpHeaders h) throws IOException {
        String v = h.firstValue("Content-Range").orElseThrow(() -> new IOException("206 without Content-Range"));
        Matcher m = CONTENT_RANGE.matcher(v.strip());
        if (!m.matches()) {
            throw new IOException("unreadable Content-Range '" + v + "'");
        }
        return Long.parseLong(m.group(1));
    }

    private Path quarantine(String repo, String etag, Path inc) throws IOException {
        Path dir = layout.quarantineDir(repo);
        Files.createDirectories(dir);
        Path q = dir.resolve(etag + "." + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))
                + "." + ProcessHandle.current().pid() + ".bad");
        Files.move(inc, q, StandardCopyOption.REPLACE_EXISTING);
        return q;
    }
}
