package org.layered.engine.install;

import org.layered.engine.DjlNatives;
import org.layered.engine.EngineException;
import org.layered.engine.LibtorchFolder;
import org.layered.engine.NvidiaDriver;
import org.layered.store.DownloadProgress;
import org.layered.store.Downloader;
import org.layered.store.HttpFiles;
import org.layered.store.ModelStoreException;
import org.layered.store.Sizes;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * Installs the native libtorch bundle DJL 0.36 itself would download for a flavour and this platform
 * ({@link NativeRepository}) into {@code <engines>/<version>-<flavor>-<classifier>/}, the folder name DJL uses in
 * its own cache.
 *
 * <ul>
 *   <li>Every file goes through the store's {@link Downloader}: resumable ({@code Range}), retried, progress with
 *       bytes/s and ETA, into {@code <engines>/.partial-<name>/downloads/}.</li>
 *   <li>Verified as far as the repository allows: its index has no sizes and no checksums, so each file's size
 *       is the server's {@code Content-Length}, each gzip stream's CRC-32 and length are checked while it is
 *       unpacked (a corrupt file is quarantined, never used), and the complete set must be there (every file the
 *       index lists for the flavour, {@code libtorch}, the CUDA libraries for a CUDA flavour, a JNI library).</li>
 *   <li>Unpacked files collect in {@code .partial-<name>/lib/}, which is renamed into place only when all are
 *       there; an existing engine is replaced only then. An interrupted install resumes from what is there.</li>
 *   <li>DJL's JNI library for the flavour comes from the {@code pytorch-jni} jar when it carries it (DJL extracts
 *       it at start), else it is downloaded from the repository into the engine folder, as DJL would.</li>
 * </ul>
 */
public final class EngineInstaller {
    /**
     * What an install will do, known before anything is downloaded: a front end shows it and asks.
     *
     * @param version     libtorch version
     * @param choice      the flavour and why
     * @param classifier  platform, e.g. {@code linux-x86_64}
     * @param source      the repository base
     * @param destination the engine folder it goes to
     * @param files       the files, with what is already there
     * @param usableBytes free space where it goes, -1 when unknown
     * @param installed   the engine is already complete at the destination: nothing to download
     */
    public record Plan(String version, FlavorChoice choice, String classifier, URI source, Path destination,
            List<PlannedFile> files, long usableBytes, boolean installed) {
        public Plan {
            files = List.copyOf(files);
        }

        public String flavor() {
            return choice.flavor();
        }

        /** Bytes still to transfer. */
        public long downloadBytes() {
            return files.stream().filter(f -> !f.done()).mapToLong(f -> Math.max(0, f.size() - f.partialBytes()))
                    .sum();
        }

        /** Bytes of the unpacked engine, -1 when a file's unpacked size is unknown. */
        public long installedBytes() {
            long sum = 0;
            for (PlannedFile f : files) {
                if (f.unpackedSize() < 0) {
                    return -1;
                }
                sum += f.unpackedSize();
            }
            return sum;
        }

        /** One paragraph for a confirmation: what, how much, where. */
        public String summary() {
            if (installed) {
                return "libtorch " + version + " " + flavor() + " (" + classifier + ") is already installed in "
                        + destination;
            }
            long unpacked = installedBytes();
            return "libtorch " + version + " " + flavor() + " (" + classifier + "): " + files.size() + " file(s), "
                    + Sizes.si(downloadBytes()) + " to download from " + source + (unpacked >= 0 ? ", "
                    + Sizes.si(unpacked) + " installed" : "") + ", into " + destination + (usableBytes >= 0 ? " ("
                    + Sizes.si(usableBytes) + " free)" : "");
        }
    }

    /**
     * One file.
     *
     * @param library      the name it is installed under
     * @param uri          where it comes from
     * @param size         bytes to download (the server's Content-Length), -1 when unknown
     * @param unpackedSize bytes once unpacked (gzip's length field), -1 when unknown
     * @param gzipped      whether it is a gzip file to unpack (the JNI library is not)
     * @param done         already unpacked by an earlier, interrupted install
     * @param partialBytes bytes of an interrupted download that will be resumed
     */
    public record PlannedFile(String library, URI uri, long size, long unpackedSize, boolean gzipped, boolean done,
            long partialBytes) {}

    private final NativeRepository repo;
    private final Path engines;
    private final Downloader.Options options;

    /**
     * @param engines the engines folder ({@code Fiji.app/engines/layered} in Fiji, else {@code <home>/engines})
     */
    public EngineInstaller(NativeRepository repo, Path engines, Downloader.Options options) {
        this.repo = repo;
        this.engines = engines.toAbsolutePath().normalize();
        this.options = options;
    }

    /** Retries, stall timeout and parallelism for engine downloads. */
    public static Downloader.Options defaultOptions() {
        return new Downloader.Options(3, 5, Duration.ofSeconds(2), Duration.ofSeconds(60), "install again");
    }

    /** A repository at {@link NativeRepository#base} for this process, over anonymous HTTP. */
    public static NativeRepository defaultRepository() {
        return new NativeRepository(NativeRepository.base(System.getenv(), System::getProperty),
                HttpFiles.anonymous(Duration.ofSeconds(20), Duration.ofSeconds(60)));
    }

    public Path engines() {
        return engines;
    }

    /**
     * Reads the index, chooses the flavour and looks at every file (its size, and its unpacked size from the gzip
     * trailer); downloads nothing else.
     *
     * @param flavorRequest {@code auto}, {@code cpu} or {@code cuNNN}
     * @param driverCuda    the CUDA version the driver reports itself, or null
     * @throws EngineException for a flavour that is not published
     */
    public Plan plan(String flavorRequest, NvidiaDriver driver, String driverCuda) throws ModelStoreException {
        String version = DjlNatives.pytorchVersion();
        String classifier = DjlNatives.classifier();
        NativeRepository.Index index = repo.index(version);
        List<String> published = index.flavors(classifier);
        if (published.isEmpty()) {
            throw new ModelStoreException(ModelStoreException.Reason.FILE_NOT_FOUND, "no libtorch " + version
                    + " build for " + classifier + " in " + repo.base() + "/" + version + "/files.txt");
        }
        FlavorChoice choice = FlavorChoice.choose(flavorRequest, published, driver, driverCuda,
                classifier.startsWith("linux"));
        String name = version + "-" + choice.flavor() + "-" + classifier;
        Path destination = engines.resolve(name);
        long usable = usableSpace(engines);
        if (installedAt(destination, version, choice.flavor())) {
            return new Plan(version, choice, classifier, repo.base(), destination, List.of(), usable, true);
        }
        Path partial = partialDir(name);
        List<PlannedFile> files = new ArrayList<>();
        for (String line : index.files(choice.flavor(), classifier)) {
            URI uri = repo.file(version, line);
            files.add(planned(NativeRepository.Index.libraryName(line), uri, true, partial));
        }
        if (!DjlNatives.bundledJni(version, choice.flavor())) {
            files.add(planned(DjlNatives.cachedJniName(), repo.jni(version, DjlNatives.djlVersion(), classifier,
                    choice.flavor(), DjlNatives.jniLibrary()), false, partial));
        }
        return new Plan(version, choice, classifier, repo.base(), destination, files, usable, false);
    }

    private PlannedFile planned(String library, URI uri, boolean gzipped, Path partial) throws ModelStoreException {
        HttpFiles http = repo.http();
        long size = http.size(uri, library);
        long unpacked = gzipped ? unpackedSize(http, uri, size, library) : size;
        boolean done = Files.isRegularFile(partial.resolve("lib").resolve(library));
        Path part = download(partial, uri);
        long have = 0;
        try {
            have = done || !Files.isRegularFile(part) ? 0 : Files.size(part);
        } catch (IOException e) {
            // unreadable partial file: downloaded anew
        }
        return new PlannedFile(library, uri, size, unpacked, gzipped, done, have);
    }

    /** The gzip trailer's ISIZE (the unpacked length mod 4 GiB), read with a range request for the last 4 bytes. */
    private static long unpackedSize(HttpFiles http, URI uri, long size, String what) throws ModelStoreException {
        if (size < 18) {
            return -1;
        }
        byte[] b = http.tail(uri, size - 4, what, Duration.ofSeconds(20));
        return b == null || b.length != 4 ? -1 : (b[0] & 0xffL) | (b[1] & 0xffL) << 8 | (b[2] & 0xffL) << 16
                | (b[3] & 0xffL) << 24;
    }

    /**
     * Downloads, verifies and unpacks the plan's files, then moves the engine into place.
     *
     * @throws ModelStoreException {@code CANCELLED} (partial files kept), {@code CHECKSUM_MISMATCH} (the file is
     *                             quarantined; nothing changes at the destination), {@code NETWORK}, {@code DISK_FULL}
     */
    public LibtorchFolder install(Plan plan, DownloadProgress progress, Duration interval, BooleanSupplier cancel)
            throws ModelStoreException {
        String name = plan.destination().getFileName().toString();
        try {
            Files.createDirectories(engines.resolve(".locks"));
        } catch (IOException e) {
            throw io("cannot create " + engines, e);
        }
        Path lockFile = engines.resolve(".locks").resolve(name + ".lock");
        try (FileChannel lc = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock lock = tryLock(lc)) {
            if (lock == null) {
                throw new ModelStoreException(ModelStoreException.Reason.LOCAL_IO, "another installation of "
                        + name + " is running (" + lockFile + " is locked); wait for it to finish");
            }
            if (plan.installed() || installedAt(plan.destination(), plan.version(), plan.flavor())) {
                return LibtorchFolder.recheck(plan.destination(), plan.version(), plan.flavor());
            }
            return installLocked(plan, name, progress, interval, cancel);
        } catch (IOException e) {
            if (e instanceof ModelStoreException m) {
                throw m;
            }
            throw io("cannot install into " + plan.destination(), e);
        }
    }

    private LibtorchFolder installLocked(Plan plan, String name, DownloadProgress progress, Duration interval,
            BooleanSupplier cancel) throws IOException {
        Path partial = partialDir(name);
        Path lib = Files.createDirectories(partial.resolve("lib"));
        long unpacked = plan.files().stream().filter(f -> !f.done()).mapToLong(f -> Math.max(0, f.unpackedSize()))
                .sum();
        long need = plan.downloadBytes() + unpacked;
        long usable = usableSpace(engines);
        if (usable >= 0 && need > usable) {
            throw new ModelStoreException(ModelStoreException.Reason.DISK_FULL, "not enough disk space in " + engines
                    + ": the engine needs " + Sizes.si(need) + " (download and unpacked) but only "
                    + Sizes.si(usable) + " are free; free some space or install elsewhere (--dir DIR)");
        }
        List<PackedFile> items = plan.files().stream().map(f -> new PackedFile(f, partial, plan)).toList();
        long present = plan.files().stream().filter(PlannedFile::done).mapToLong(f -> Math.max(0, f.size())).sum();
        long total = plan.files().stream().mapToLong(f -> Math.max(0, f.size())).sum();
        new Downloader(repo.http(), options).download(items.stream().filter(i -> !i.file.done()).toList(), total,
                present, plan.files().size(), progress, interval, cancel);
        checkComplete(plan, lib);
        writeMarker(plan, lib);
        Path old = null;
        if (Files.exists(plan.destination())) { // an incomplete or damaged earlier install: replaced only now
            old = engines.resolve(".old-" + name + "-" + System.currentTimeMillis());
            Files.move(plan.destination(), old, StandardCopyOption.ATOMIC_MOVE);
        }
        Files.move(lib, plan.destination(), StandardCopyOption.ATOMIC_MOVE);
        if (old != null) {
            deleteTree(old);
        }
        deleteTree(partial);
        return LibtorchFolder.inspect(plan.destination(), plan.version(), plan.flavor());
    }

    /** Every planned file unpacked, libtorch there, the CUDA libraries for a CUDA flavour. */
    private static void checkComplete(Plan plan, Path lib) throws ModelStoreException {
        List<String> missing = new ArrayList<>();
        for (PlannedFile f : plan.files()) {
            if (!Files.isRegularFile(lib.resolve(f.library()))) {
                missing.add(f.library());
            }
        }
        List<String> required = new ArrayList<>(List.of(DjlNatives.torchLibrary(), System.mapLibraryName("c10")));
        if (plan.flavor().startsWith("cu")) {
            required.add(System.mapLibraryName("torch_cuda"));
            required.add(System.mapLibraryName("c10_cuda"));
        }
        for (String r : required) {
            if (!Files.isRegularFile(lib.resolve(r)) && !missing.contains(r)) {
                missing.add(r + " (the index does not list it)");
            }
        }
        if (!missing.isEmpty()) {
            throw new ModelStoreException(ModelStoreException.Reason.CHECKSUM_MISMATCH, "the libtorch " + plan.version()
                    + " " + plan.flavor() + " bundle is incomplete, missing " + String.join(", ", missing)
                    + "; nothing was installed");
        }
    }

    private static void writeMarker(Plan plan, Path lib) throws IOException {
        Properties p = new Properties();
        p.setProperty("version", plan.version());
        p.setProperty("flavor", plan.flavor());
        p.setProperty("classifier", plan.classifier());
        p.setProperty("source", plan.source().toString());
        p.setProperty("installed", Instant.now().toString());
        for (PlannedFile f : plan.files()) {
            p.setProperty("file." + f.library(), String.valueOf(Files.size(lib.resolve(f.library()))));
        }
        try (OutputStream out = Files.newOutputStream(lib.resolve(LibtorchFolder.MARKER))) {
            p.store(out, "Installed by 'layered engine install' (or Set Up GPU...); DJL " + DjlNatives.djlVersion());
        }
    }

    /** Whether {@code dir} holds a complete engine written by an install. */
    static boolean installedAt(Path dir, String version, String flavor) {
        if (!Files.isRegularFile(dir.resolve(LibtorchFolder.MARKER))) {
            return false;
        }
        try {
            LibtorchFolder.recheck(dir, version, flavor);
            return true;
        } catch (EngineException e) {
            return false;
        }
    }

    private Path partialDir(String name) {
        return engines.resolve(".partial-" + name);
    }

    private static Path download(Path partial, URI uri) {
        String path = uri.getPath();
        return partial.resolve("downloads").resolve(path.substring(path.lastIndexOf('/') + 1) + ".incomplete");
    }

    private static FileLock tryLock(FileChannel c) throws IOException {
        try {
            return c.tryLock();
        } catch (OverlappingFileLockException e) {
            return null;
        }
    }

    private static long usableSpace(Path dir) {
        for (Path p = dir; p != null; p = p.getParent()) {
            if (Files.exists(p)) {
                try {
                    FileStore s = Files.getFileStore(p);
                    return s.getUsableSpace();
                } catch (IOException e) {
                    return -1;
                }
            }
        }
        return -1;
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static ModelStoreException io(String what, IOException e) {
        return new ModelStoreException(ModelStoreException.Reason.LOCAL_IO, what + " (" + HttpFiles.describe(e) + ")",
                e);
    }

    /** One file of the bundle as the downloader sees it: fetched as is, then unpacked (checked) into lib/. */
    private static final class PackedFile implements Downloader.Item, Downloader.Target {
        private final PlannedFile file;
        private final Path partial;
        private final String what;

        PackedFile(PlannedFile file, Path partial, Plan plan) {
            this.file = file;
            this.partial = partial;
            this.what = "libtorch " + plan.version() + " " + plan.flavor() + ": " + file.library();
        }

        @Override
        public String name() {
            return file.library();
        }

        @Override
        public String what() {
            return what;
        }

        @Override
        public long plannedSize() {
            return file.size();
        }

        @Override
        public Downloader.Target resolve() {
            return this; // sized when planned
        }

        @Override
        public URI location() {
            return file.uri();
        }

        @Override
        public long size() {
            return file.size();
        }

        @Override
        public Downloader.Expected expected() {
            return Downloader.Expected.NONE; // the index publishes no checksums: the gzip CRC is checked instead
        }

        @Override
        public Path partial() {
            return download(partial, file.uri());
        }

        @Override
        public Path lockFile() {
            return null; // the whole install holds one lock
        }

        @Override
        public Path quarantineDir() {
            return partial.resolve("quarantine");
        }

        @Override
        public boolean reuse(BooleanSupplier stop) {
            return Files.isRegularFile(target()); // unpacked and checked by an earlier, interrupted install
        }

        private Path target() {
            return partial.resolve("lib").resolve(file.library());
        }

        @Override
        public void complete(Path downloaded, BooleanSupplier stop) throws IOException {
            Path tmp = target().resolveSibling(file.library() + ".tmp");
            if (file.gzipped()) {
                Gunzip.verified(downloaded, tmp, what, stop);
            } else {
                checkLibrary(downloaded);
                Files.copy(downloaded, tmp, StandardCopyOption.REPLACE_EXISTING);
            }
            Files.move(tmp, target(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            Files.delete(downloaded);
        }

        /** A shared library starts with the platform's magic bytes (not, say, an HTML error page). */
        private void checkLibrary(Path f) throws IOException {
            byte[] head;
            try (InputStream in = Files.newInputStream(f)) {
                head = in.readNBytes(4);
            }
            String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
            boolean ok = head.length == 4 && (os.startsWith("win") ? head[0] == 'M' && head[1] == 'Z'
                    : os.startsWith("mac") ? (head[0] & 0xff) == 0xcf && (head[1] & 0xff) == 0xfa
                    : head[0] == 0x7f && head[1] == 'E' && head[2] == 'L' && head[3] == 'F');
            if (!ok) {
                throw new ModelStoreException(ModelStoreException.Reason.CHECKSUM_MISMATCH, what
                        + ": not a shared library for this platform");
            }
        }
    }
}
