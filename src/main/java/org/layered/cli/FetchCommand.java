package org.layered.cli;

import org.layered.store.FetchPlan;
import org.layered.store.ModelDescriptor;
import org.layered.store.ModelStore;
import org.layered.store.ResolvedModel;
import org.layered.store.Sizes;

import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code layered fetch --model Qwen/Qwen-Image-Layered}: downloads a model from the Hugging Face hub into the
 * Hugging Face cache layout (resumable, verified), so that {@code info}, {@code decompose} and the Fiji commands
 * find it, and Python tools reuse it.
 */
final class FetchCommand implements CliCommand {
    private final Map<String, String> env;
    private final Path userHome;
    private final long progressIntervalMillis;

    FetchCommand() {
        this(System.getenv(), Path.of(System.getProperty("user.home", ".")), 2000);
    }

    /** For tests: a given environment, home folder and progress-line interval. */
    FetchCommand(Map<String, String> env, Path userHome, long progressIntervalMillis) {
        this.env = env;
        this.userHome = userHome;
        this.progressIntervalMillis = progressIntervalMillis;
    }

    @Override
    public String name() {
        return "fetch";
    }

    @Override
    public String summary() {
        return "download a model from the Hugging Face hub into the local cache";
    }

    @Override
    public String usage() {
        return """
                usage: layered fetch [--model REPO[@REV]] [--revision REV] [--cache DIR] [--endpoint URL]
                                     [--parallel N]

                  --model REPO      hub repository (default Qwen/Qwen-Image-Layered, about 58 GB)
                  --revision REV    branch, tag or commit (default: the model's policy, usually main)
                  --cache DIR       cache folder (Hugging Face hub layout) to download into; default the
                                    Hugging Face cache (HF_HUB_CACHE, HF_HOME/hub, ~/.cache/huggingface/hub)
                                    when writable, else the plugin's cache (~/.cache/layered/hub, LAYERED_CACHE)
                  --endpoint URL    hub address (default HF_ENDPOINT or https://huggingface.co)
                  --parallel N      files downloaded at once, 1-16 (default 4)

                Files already in the cache are not downloaded again, and an interrupted download resumes where it
                stopped: run the same command again. Every LFS file is checked against the hub's sha256; a file
                that does not match is quarantined, never used. A token is taken from HF_TOKEN or the Hugging
                Face token file when present; proxies from the JVM (-Dhttps.proxyHost=... -Dhttps.proxyPort=...).
                """;
    }

    @Override
    public Set<String> flags() {
        return Set.of("model", "revision", "cache", "endpoint", "parallel");
    }

    @Override
    public int run(CliArgs args, PrintStream out, PrintStream err) throws Exception {
        ModelStore.Config cfg = new ModelStore.Config().env(env).userHome(userHome);
        if (args.has("cache")) {
            cfg.addCache(args.path("cache"));
        }
        if (args.has("endpoint")) {
            String e = args.required("endpoint");
            URI u;
            try {
                u = URI.create(e);
            } catch (IllegalArgumentException ex) {
                throw new CliArgs.UsageException("--endpoint must be an http(s) URL, got '" + e + "'");
            }
            if (u.getScheme() == null || !(u.getScheme().equals("http") || u.getScheme().equals("https"))
                    || u.getHost() == null) {
                throw new CliArgs.UsageException("--endpoint must be an http(s) URL, got '" + e + "'");
            }
            cfg.endpoint(u);
        }
        cfg.parallelDownloads(args.integer("parallel", 4, 1, 16));
        ModelStore store = new ModelStore(cfg);
        String model = args.string("model", store.defaultModel());
        if (args.has("revision")) {
            if (model.contains("@")) {
                throw new CliArgs.UsageException("give the revision either in --model REPO@REV or with --revision");
            }
            model = model + "@" + args.required("revision");
        }
        Printer p = new Printer(out, progressIntervalMillis);
        ModelStore.FetchResult r = store.fetch(model, p, null);
        ResolvedModel m = r.model();
        out.printf(Locale.ROOT, "done: %d file(s) downloaded (%s), %d reused, in %s%n", r.filesDownloaded(),
                Sizes.si(r.bytesTransferred()), r.filesReused() + (int) r.plan().files().stream()
                        .filter(FetchPlan.PlannedFile::present).count(),
                Sizes.duration(Math.max(0, r.elapsed().toSeconds())));
        for (ResolvedModel.ComponentStatus c : m.components()) {
            out.printf(Locale.ROOT, "  %-13s %s%s%n", c.name(), c.state().name().toLowerCase(Locale.ROOT),
                    c.missingFiles().isEmpty() ? "" : " (missing " + String.join(", ", c.missingFiles()) + ")");
        }
        out.println("model: " + m.root());
        if (!m.isComplete()) {
            err.println("layered fetch: the download finished but the model is incomplete: "
                    + String.join(", ", m.missingRequired().stream().map(ResolvedModel.ComponentStatus::name)
                    .toList()));
            return 1;
        }
        return 0;
    }

    /** Prints the plan, per-file results and a progress line at most every interval. */
    private static final class Printer extends ProgressLines {
        Printer(PrintStream out, long intervalMillis) {
            super(out, intervalMillis);
        }

        @Override
        public void planned(FetchPlan plan) {
            out.println("fetching " + plan.summary());
            ModelDescriptor d = plan.descriptor();
            if (d != null) {
                out.println("licence: " + d.licence().spdx() + (d.licence().url() == null ? ""
                        : " (" + d.licence().url() + ")"));
            }
            if (plan.isComplete()) {
                out.println("all files are already in the cache");
            }
        }
    }
}
