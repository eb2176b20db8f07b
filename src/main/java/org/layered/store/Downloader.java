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
 * Downloads files over HTTP, resumably and verified. The model store's fetch ({@link HubDownloadItem}s, into a
 * {@link StoreLayout}) and the engine installer use it; each {@link Item} says where a file comes from and where it
 * goes.
 *
 * <ul>
 *   <li>Each file goes to its {@link Target#partial()} file, resumed with {@code Range: bytes=N-} after a broken
 *       transfer (in this run, up to {@code maxRetries} times with backoff, or in a later run), restarted from zero
 *       when the server ignores the range.</li>
 *   <li>The content is hashed while it is written (a resumed file's existing part first) and checked against the
 *       target's expected hash and size. A mismatch moves the file to the target's quarantine folder; it is never
 *       used. {@link Target#complete} may check the content further (a gzip CRC) and reject it the same way.</li>
 *   <li>Only then does {@link Target#complete} move it into place.</li>
 *   <li>Parallel safety: a target may name a lock file, held with a file lock across processes and a lock within
 *       this JVM; whoever gets it second finds the file in place ({@link Target#reuse}).</li>
 *   <li>A transfer that delivers no byte for {@code stallTimeout} is aborted and retried.</li>
 * </ul>
 */
public final class Downloader {
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes\\s+(\\d+)-(\\d+)/(\\d+|\\*)");
    private static final ConcurrentHashMap<Path, ReentrantLock> LOCAL_LOCKS = new ConcurrentHashMap<>();
    private static final AtomicInteger THREADS = new AtomicInteger();
    /** Bytes an attempt must have delivered for its failure not to count against the retry limit. */
    private static final long PROGRESS_RESETS_RETRIES = 8L << 20;

    /**
     * @param parallel     files downloaded at once
     * @param maxRetries   attempts after a failure, per file, before giving up (the partial file stays)
     * @param backoff      the first wait before a retry (doubling up to 30 s)
     * @param stallTimeout a transfer silent this long is aborted and retried
     * @param again        how messages tell the user to resume, e.g. {@code "fetch again"}
     */
    public record Options(int parallel, int maxRetries, Duration backoff, Duration stallTimeout, String again) {}

    /** What a run did: files downloaded, files found already done, bytes that came over the network. */
    public record Result(int downloaded, int reused, long bytesTransferred) {}

    /** The content hash a file must have; {@link #NONE} when the source publishes none. */
    public static final class Expected {
        /** No hash known: only the size (when known) and the target's own checks apply. */
        public static final Expected NONE = new Expected(Hashes.Kind.NONE, null);

        final Hashes.Kind kind;
        final String hex;

        Expected(Hashes.Kind kind, String hex) {
            this.kind = kind;
            this.hex = hex;
        }
    }

    /** One file of a run. */
    public interface Item {
        /** The file as progress shows it (a path). */
        String name();

        /** The file as messages name it; {@link #name()} unless more is needed. */
        default String what() {
            return name();
        }

        /** Expected size for ordering (small files first), -1 when unknown. */
        long plannedSize();

        /** Looks the file up (e.g. a HEAD request) right before its transfer; retried on network failures. */
        Target resolve() throws ModelStoreException;
    }

    /** Where one file comes from and goes to, known once its {@link Item} is resolved. */
    public interface Target {
        URI location();

        /** Size in bytes, -1 when unknown. */
        long size();

        Expected expected();

        /** Where the bytes collect while downloading (kept for resuming). */
        Path partial();

        /** A file to lock while this target is worked on (other processes may download the same), or null. */
        Path lockFile();

        /** Where files that failed verification are moved (kept for inspection, never used). */
        Path quarantineDir();

        /**
         * Checked under the lock: when the content is already on disk (and verified, where that needs a hash), puts
         * it in place without a transfer and returns true.
         */
        boolean reuse(BooleanSupplier stop) throws IOException;

        /**
         * Moves the complete, size- and hash-checked {@code partial} into place. May check the content further and
         * throw a {@link ModelStoreException.Reason#CHECKSUM_MISMATCH}; the partial file is then quarantined.
         */
        void complete(Path partial, BooleanSupplier stop) throws IOException;

        /** A fresh download location after a failure (signed CDN URLs expire); the same one by default. */
        default URI refreshLocation() throws ModelStoreException {
            return location();
        }
    }

    private final HttpFiles http;
    private final Options opt;
    private final Set<Transfer> active = ConcurrentHashMap.newKeySet();

    public Downloader(HttpFiles http, Options opt) {
        this.http = http;
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

    /**
     * Downloads {@code todo} with progress to {@code listener} (throttled to {@code interval}, a final snapshot
     * at the end).
     *
     * @param totalBytes   bytes of the whole set, including what is already there; -1 when unknown
     * @param presentBytes bytes already there before this run
     * @param filesTotal   files of the whole set, including those already there
     * @param cancel       polled often; when it returns true the run stops, keeping partial files
     */
    public Result download(List<? extends Item> todo, long totalBytes, long presentBytes, int filesTotal,
            DownloadProgress listener, Duration interval, BooleanSupplier cancel) throws ModelStoreException {
        ProgressTracker t = new ProgressTracker(listener, interval.toNanos());
        Result r = run(todo, totalBytes, presentBytes, filesTotal, t, cancel == null ? () -> false : cancel);
        t.finish();
        return r;
    }

    Result run(List<? extends Item> items, long totalBytes, long presentBytes, int filesTotal, ProgressTracker t,
            BooleanSupplier cancel) throws ModelStoreException {
        // small files (configs, indexes) first: they fail fast on access problems and are quick to have
        List<Item> todo = items.stream().map(i -> (Item) i)
                .sorted(java.util.Comparator.comparingLong(Item::plannedSize)).toList();
        t.start(DownloadProgress.Phase.DOWNLOADING, totalBytes, presentBytes, filesTotal, filesTotal - todo.size());
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
        for (Item f : todo) {
            cs.submit(() -> one(f, t, stop));
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
                            : new ModelStoreException(ModelStoreException.Reason.LOCAL_IO, HttpFiles.describe(
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
                    + "files are kept, " + opt.again() + " to resume");
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

    private ModelStoreException cancelled() {
        return new ModelStoreException(ModelStoreException.Reason.CANCELLED, "download cancelled; partial files are "
                + "kept, " + opt.again() + " to resume");
    }

    private void check(BooleanSupplier stop) throws ModelStoreException {
        if (stop.getAsBoolean() || Thread.currentThread().isInterrupted()) {
            throw cancelled();
        }
    }

    private DownloadProgress.FileOutcome one(Item item, ProgressTracker t, BooleanSupplier stop) throws Exception {
        String what = item.what();
        check(stop);
        Target target = withRetries(item::resolve, what, t, stop);
        Path lockPath = target.lockFile() == null ? null : target.lockFile().toAbsolutePath().normalize();
        ReentrantLock local = lockPath == null ? null : LOCAL_LOCKS.computeIfAbsent(lockPath,
                k -> new ReentrantLock());
        boolean said = false;
        while (local != null && !local.tryLock(100, TimeUnit.MILLISECONDS)) {
            check(stop);
            if (!said) {
                t.message("waiting: another download of " + item.name() + " is running");
                said = true;
            }
        }
        try {
            if (lockPath == null) {
                return fetch(item, target, t, stop);
            }
            Files.createDirectories(lockPath.getParent());
            try (FileChannel lc = FileChannel.open(lockPath, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                    FileLock fl = acquire(lc, item.name(), t, stop)) {
                return fetch(item, target, t, stop);
            }
        } catch (ModelStoreException e) {
            throw e;
        } catch (IOException e) {
            throw local(what, e);
        } finally {
            if (local != null) {
                local.unlock();
            }
        }
    }

    private DownloadProgress.FileOutcome fetch(Item item, Target target, ProgressTracker t, BooleanSupplier stop)
            throws IOException {
        long size = target.size();
        if (target.reuse(stop)) {
            t.addPresent(Math.max(0, size));
            t.fileFinished(item.name(), size, DownloadProgress.FileOutcome.REUSED);
            return DownloadProgress.FileOutcome.REUSED;
        }
        transfer(item, target, t, stop);
        t.fileFinished(item.name(), size, DownloadProgress.FileOutcome.DOWNLOADED);
        return DownloadProgress.FileOutcome.DOWNLOADED;
    }

    private FileLock acquire(FileChannel lc, String path, ProgressTracker t, BooleanSupplier stop)
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

    private ModelStoreException local(String what, IOException e) {
        if (ModelStoreException.isDiskFull(e)) {
            return new ModelStoreException(ModelStoreException.Reason.DISK_FULL, what + ": disk full ("
                    + e.getMessage() + "); free some space and " + opt.again() + " to resume", e);
        }
        return new ModelStoreException(ModelStoreException.Reason.LOCAL_IO, what + ": " + HttpFiles.describe(e), e);
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

    /** Downloads (or resumes) one file into its partial file, verifies it and has the target move it into place. */
    private void transfer(Item item, Target target, ProgressTracker t, BooleanSupplier stop) throws IOException {
        String what = item.what();
        String path = item.name();
        long size = target.size();
        Hashes.Kind kind = target.expected().kind;
        String expected = target.expected().hex;
        Path inc = target.partial();
        Files.createDirectories(inc.getParent());
        long have = Files.isRegularFile(inc) ? Files.size(inc) : 0;
        if (size >= 0 && have > size) {
            truncate(inc, 0);
            have = 0;
        }
        MessageDigest md = Hashes.start(kind, size);
        if (have > 0) {
            t.message(path + ": resuming at " + Sizes.si(have) + (size >= 0 ? " of " + Sizes.si(size) : "")
                    + (md != null && have > (64L << 20) ? " (hashing the part already there first)" : ""));
            if (md != null) {
                Hashes.update(md, inc, have, n -> { }, stop);
            }
            t.addPresent(have);
        }
        t.fileStarted(path, size, have);
        URI location = target.location();
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
                    location = target.refreshLocation();
                    refresh = false;
                }
                HttpResponse<InputStream> r = http.open(location, have, what);
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
            Path q = quarantine(target, inc);
            String why = size >= 0 && got != size ? "size " + got + " instead of " + size
                    : kind.label + " " + actual + " instead of " + expected;
            throw new ModelStoreException(ModelStoreException.Reason.CHECKSUM_MISMATCH, what
                    + ": downloaded file does not match the published checksum (" + why + "); moved to " + q
                    + " and not used. " + capital(opt.again()) + " to download it anew");
        }
        try {
            target.complete(inc, stop);
        } catch (ModelStoreException e) {
            if (e.reason() != ModelStoreException.Reason.CHECKSUM_MISMATCH || !Files.exists(inc)) {
                throw e;
            }
            Path q = quarantine(target, inc);
            throw new ModelStoreException(e.reason(), e.getMessage() + "; moved to " + q + " and not used. "
                    + capital(opt.again()) + " to download it anew", e);
        }
    }

    private int failed(int failures, String what, Exception e, long have, long size, ProgressTracker t,
            BooleanSupplier stop) throws ModelStoreException {
        int f = failures + 1;
        if (f > opt.maxRetries()) {
            throw new ModelStoreException(ModelStoreException.Reason.NETWORK, what + ": download failed after "
                    + f + " attempt(s) at " + Sizes.si(have) + (size >= 0 ? " of " + Sizes.si(size) : "") + " ("
                    + (e instanceof ModelStoreException ? e.getMessage() : HttpFiles.describe(e))
                    + "); the partial file is kept, " + opt.again() + " to resume", e, true);
        }
        t.message(what + ": transfer broke at " + Sizes.si(have) + " (" + (e instanceof ModelStoreException
                ? e.getMessage() : HttpFiles.describe(e)) + "); resuming (" + f + "/" + opt.maxRetries() + ")");
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

    private static String capital(String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }

    private static Path quarantine(Target target, Path inc) throws IOException {
        Path dir = target.quarantineDir();
        Files.createDirectories(dir);
        Path q = dir.resolve(inc.getFileName().toString().replaceFirst("\\.incomplete$", "") + "."
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + "."
                + ProcessHandle.current().pid() + ".bad");
        Files.move(inc, q, StandardCopyOption.REPLACE_EXISTING);
        return q;
    }
}
