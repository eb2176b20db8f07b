package org.layered.cli;

import org.layered.engine.DjlNatives;
import org.layered.engine.EngineSettings;
import org.layered.engine.LayeredHome;
import org.layered.engine.LibtorchFolder;
import org.layered.engine.NvidiaDriver;
import org.layered.engine.install.EngineInstaller;
import org.layered.engine.install.EngineSetup;
import org.layered.engine.install.NativeRepository;
import org.layered.store.Downloader;
import org.layered.store.HttpFiles;
import org.layered.store.ModelStoreException;
import org.layered.store.Sizes;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code layered engine info|install|use}: which libtorch runs the model and on which devices, installing DJL's
 * CUDA (or CPU) libtorch bundle, and remembering a libtorch folder, so that no environment variable is needed.
 */
final class EngineCommand implements CliCommand {
    private final Path home;
    private final Map<String, String> env;
    private final InputStream in;
    private final long progressIntervalMillis;
    private final Downloader.Options downloads;

    EngineCommand() {
        this(LayeredHome.dir(), System.getenv(), System.in, 2000, EngineInstaller.defaultOptions());
    }

    /**
     * For tests: a Layered home, an environment (for the repository URL), the answers to questions, the progress
     * line interval and the download retry settings.
     */
    EngineCommand(Path home, Map<String, String> env, InputStream in, long progressIntervalMillis,
            Downloader.Options downloads) {
        this.home = home;
        this.env = env;
        this.in = in;
        this.progressIntervalMillis = progressIntervalMillis;
        this.downloads = downloads;
    }

    @Override
    public String name() {
        return "engine";
    }

    @Override
    public String summary() {
        return "show the libtorch and GPUs in use; install or choose a CUDA libtorch";
    }

    @Override
    public String usage() {
        return """
                usage: layered engine info
                       layered engine install [--flavor auto|cpu|cuNNN] [--dir DIR] [--yes]
                       layered engine use DIR|default [--version V] [--flavor cpu|cuNNN]

                  info      the libtorch in use (version, flavour, the folder it was loaded from and why), the CUDA
                            devices it sees (index, name, total and free memory, compute capability), the NVIDIA
                            driver, and what --device auto resolves to. Needs no GPU.
                  install   downloads the libtorch %1$s bundle DJL %2$s itself would download for this platform
                            (from %3$s, or -D%4$s / %5$s), verifies it (sizes, every gzip CRC,
                            the complete file set), unpacks it into DIR/%1$s-<flavor>-<platform> (default DIR:
                            %6$s) and remembers it. --flavor auto (default) takes the newest published CUDA build
                            the NVIDIA driver runs, else says why not. Asks before downloading unless --yes.
                            An interrupted install resumes; a failed one leaves the engine in use as it was.
                  use DIR   remembers a libtorch folder (a libtorch %1$s build from pytorch.org, or an earlier
                            install); version and flavour are read from the folder unless given.
                  use default
                            forgets it: the bundled CPU libtorch again.

                The choice is kept in %7$s (LAYERED_HOME or -Dlayered.home moves it) and applied before DJL
                loads; a PYTORCH_LIBRARY_PATH in the environment still wins. Each 'layered' command starts with the
                engine remembered when it starts.
                """.formatted(DjlNatives.pytorchVersion(), DjlNatives.djlVersion(), NativeRepository.DEFAULT_BASE,
                NativeRepository.PROPERTY, NativeRepository.ENVIRONMENT, home.resolve("engines"),
                home.resolve(EngineSettings.FILE));
    }

    @Override
    public Set<String> flags() {
        return Set.of("flavor", "dir", "version");
    }

    @Override
    public Set<String> switches() {
        return Set.of("yes");
    }

    @Override
    public int words() {
        return 2;
    }

    @Override
    public int run(CliArgs args, PrintStream out, PrintStream err) throws Exception {
        List<String> words = args.words();
        if (words.isEmpty()) {
            throw new CliArgs.UsageException("say what: engine info, engine install or engine use DIR|default");
        }
        String sub = words.get(0);
        switch (sub) {
            case "info" -> {
                only(args, words, 1, Set.of());
                return info(out);
            }
            case "install" -> {
                only(args, words, 1, Set.of("flavor", "dir", "yes"));
                return install(args, out, err);
            }
            case "use" -> {
                only(args, words, 2, Set.of("version", "flavor"));
                if (words.size() < 2) {
                    throw new CliArgs.UsageException("engine use needs a folder, or 'default'");
                }
                return use(words.get(1), args, out);
            }
            default -> throw new CliArgs.UsageException("unknown engine command '" + sub + "': use info, install "
                    + "or use");
        }
    }

    private static void only(CliArgs args, List<String> words, int maxWords, Set<String> allowed)
            throws CliArgs.UsageException {
        if (words.size() > maxWords) {
            throw new CliArgs.UsageException("unexpected argument '" + words.get(maxWords) + "'");
        }
        for (String f : List.of("flavor", "dir", "version", "yes")) {
            if (args.has(f) && !allowed.contains(f)) {
                throw new CliArgs.UsageException("--" + f + " does not apply to engine " + words.get(0));
            }
        }
    }

    private EngineSetup setup(Path engines) {
        NativeRepository repo = new NativeRepository(NativeRepository.base(env, System::getProperty),
                HttpFiles.anonymous(Duration.ofSeconds(20), Duration.ofSeconds(60)));
        return new EngineSetup(new EngineSettings(home), new EngineInstaller(repo, engines, downloads),
                "the command");
    }

    private int info(PrintStream out) {
        for (String line : setup(home.resolve("engines")).report(NvidiaDriver.probe())) {
            out.println(line);
        }
        return 0;
    }

    private int install(CliArgs args, PrintStream out, PrintStream err) throws Exception {
        String flavor = args.string("flavor", "auto").strip().toLowerCase(Locale.ROOT);
        if (!flavor.matches("auto|cpu|cu\\d{3}")) {
            throw new CliArgs.UsageException("--flavor must be auto, cpu or cuNNN (e.g. cu128), got '" + flavor + "'");
        }
        EngineSetup setup = setup(args.has("dir") ? args.path("dir") : home.resolve("engines"));
        EngineInstaller.Plan plan = setup.plan(flavor);
        err.println("flavour: " + plan.flavor() + " (" + plan.choice().reason() + ")");
        for (String w : plan.choice().warnings()) {
            err.println("warning: " + w);
        }
        if (flavor.equals("auto") && plan.choice().isCpu()) {
            out.println("nothing to install: the CPU libtorch bundled with Layered is what fits this machine ("
                    + plan.choice().reason() + ")");
            return 0;
        }
        if (!plan.installed()) {
            err.println(plan.summary());
            if (!args.has("yes") && !confirm(err)) {
                err.println("layered engine: not confirmed; nothing was downloaded (--yes skips the question)");
                return 1;
            }
        }
        LibtorchFolder f;
        try {
            f = setup.install(plan, new Printer(err, progressIntervalMillis), Duration.ofMillis(250), null);
        } catch (ModelStoreException e) {
            throw new ModelStoreException(e.reason(), e.getMessage() + "; the engine in use is unchanged", e);
        }
        out.println((plan.installed() ? "already installed: " : "installed ") + f.describe());
        out.println("remembered in " + setup.settings().file() + ": " + setup.next() + "; "
                + EngineSetup.afterwards(f));
        return 0;
    }

    private boolean confirm(PrintStream err) throws IOException {
        err.print("Download and install it? [y/N] ");
        err.flush();
        String answer = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).readLine();
        return answer != null && (answer.strip().equalsIgnoreCase("y") || answer.strip().equalsIgnoreCase("yes"));
    }

    private int use(String what, CliArgs args, PrintStream out) throws CliArgs.UsageException {
        EngineSetup setup = setup(home.resolve("engines"));
        if (what.equals("default")) {
            if (args.has("version") || args.has("flavor")) {
                throw new CliArgs.UsageException("--version and --flavor do not apply to 'engine use default'");
            }
            setup.useDefault();
            out.println("forgot the remembered engine: the bundled CPU libtorch is used; " + setup.next());
            return 0;
        }
        LibtorchFolder f = setup.use(Path.of(what), args.string("version", null), args.string("flavor", null));
        out.println("remembered " + f.describe() + " (version and flavour from " + f.origin() + ") in "
                + setup.settings().file() + "; " + setup.next() + "; " + EngineSetup.afterwards(f));
        return 0;
    }

    /** A line per file as it starts and ends, and a progress line at most every interval. */
    private static final class Printer extends ProgressLines {
        Printer(PrintStream err, long intervalMillis) {
            super(err, intervalMillis);
        }

        @Override
        public void fileStarted(String path, long size, long resumeFrom) {
            out.println("  " + path + " (" + Sizes.si(Math.max(0, size)) + (resumeFrom > 0 ? ", resuming at "
                    + Sizes.si(resumeFrom) : "") + ")");
        }
    }
}
