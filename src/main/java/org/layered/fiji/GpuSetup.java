package org.layered.fiji;

import org.layered.engine.EngineException;
import org.layered.engine.EngineSettings;
import org.layered.engine.LayeredHome;
import org.layered.engine.LibtorchFolder;
import org.layered.engine.install.EngineInstaller;
import org.layered.engine.install.EngineSetup;
import org.layered.store.ModelStoreException;
import org.layered.store.Sizes;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * What Plugins > Layered > Set Up GPU... does, shared by the ImageJ 1.x plugin and the SciJava command: the
 * options (macro keys {@code action}, {@code flavor}, {@code folder}, {@code engines}), where engines go inside
 * Fiji ({@code Fiji.app/engines/layered}), the facts shown, the question before an install and what is said after.
 */
public final class GpuSetup {
    /** The menu command, as named in messages. */
    public static final String MENU = "Plugins > Layered > Set Up GPU...";
    public static final String ACTION = "action";
    public static final String FLAVOR = "flavor";
    public static final String FOLDER = "folder";
    public static final String ENGINES = "engines";
    /** The actions, as macros name them: install (the default), info, use a folder, back to the bundled default. */
    public static final List<String> ACTIONS = List.of("install", "info", "use", "default");
    /** The actions as a dialog shows them, in the order of {@link #ACTIONS}. */
    public static final List<String> ACTION_LABELS = List.of("Install the GPU engine (download)",
            "Only show the facts", "Use a libtorch folder", "Go back to the bundled CPU engine");

    private GpuSetup() {}

    /**
     * One run's options.
     *
     * @param action  one of {@link #ACTIONS}
     * @param flavor  auto, cpu or cuNNN (install)
     * @param folder  a libtorch folder (use)
     * @param engines where installs go; blank = {@link #enginesFolder}
     */
    public record Options(String action, String flavor, String folder, String engines) {
        /** @throws IllegalArgumentException for an unknown action or flavour */
        public Options {
            action = action == null || action.isBlank() ? "install" : action.strip().toLowerCase(Locale.ROOT);
            flavor = flavor == null || flavor.isBlank() ? "auto" : flavor.strip().toLowerCase(Locale.ROOT);
            folder = folder == null ? "" : folder.strip();
            engines = engines == null ? "" : engines.strip();
            if (!ACTIONS.contains(action)) {
                throw new IllegalArgumentException("action must be one of " + String.join(", ", ACTIONS) + ", got '"
                        + action + "'");
            }
            if (!flavor.matches("auto|cpu|cu\\d{3}")) {
                throw new IllegalArgumentException("flavor must be auto, cpu or cuNNN (e.g. cu128), got '" + flavor
                        + "'");
            }
            if (action.equals("use") && folder.isEmpty()) {
                throw new IllegalArgumentException("action=use needs folder=[a libtorch folder]");
            }
        }

        /** From macro options; absent keys take the defaults (install, auto). */
        public static Options parse(MacroOptions o) {
            return new Options(o.string(ACTION, ""), o.string(FLAVOR, ""), o.string(FOLDER, ""), o.string(ENGINES,
                    ""));
        }

        /** The macro option string that repeats this run. */
        public String toMacroString() {
            StringBuilder b = new StringBuilder(MacroOptions.item(ACTION, action));
            if (action.equals("install")) {
                b.append(' ').append(MacroOptions.item(FLAVOR, flavor));
                if (!engines.isEmpty()) {
                    b.append(' ').append(MacroOptions.item(ENGINES, engines));
                }
            } else if (action.equals("use")) {
                b.append(' ').append(MacroOptions.item(FOLDER, folder));
            }
            return b.toString();
        }
    }

    /** The setup of this ImageJ: settings in the Layered home, installs into {@code engines} or the default. */
    public static EngineSetup setup(String engines, String restartWhat) {
        Path dir = engines == null || engines.isBlank() ? enginesFolder(FijiApp.folder()) : Path.of(engines.strip());
        return new EngineSetup(EngineSettings.current(), new EngineInstaller(EngineInstaller.defaultRepository(), dir,
                EngineInstaller.defaultOptions()), restartWhat);
    }

    /**
     * Where installs go: {@code <Fiji.app>/engines/layered} inside a Fiji (or ImageJ) installation whose folder is
     * writable, else {@code <Layered home>/engines}.
     */
    static Path enginesFolder(Optional<Path> app) {
        if (app.isPresent()) {
            Path engines = app.get().resolve("engines");
            if (Files.isDirectory(engines) ? Files.isWritable(engines) : Files.isWritable(app.get())) {
                return engines.resolve("layered");
            }
        }
        return LayeredHome.enginesDir();
    }

    /** The facts: the engine in use and why, its CUDA devices, the driver, what auto resolves to. */
    public static List<String> facts(EngineSetup setup) {
        try {
            return setup.report(org.layered.engine.NvidiaDriver.probe());
        } catch (EngineException e) {
            List<String> out = new ArrayList<>();
            out.add("engine:        could not start: " + Messages.forImageJ(e));
            out.add("settings:      " + setup.settings().file());
            out.add("engines:       " + setup.installer().engines());
            return out;
        }
    }

    /** The question before an install: what, how big, where, and that it resumes. */
    public static String question(EngineInstaller.Plan plan) {
        long installed = plan.installedBytes();
        return "Install libtorch " + plan.version() + " " + plan.flavor() + " for " + plan.classifier() + "?\n\n"
                + "Why this one: " + plan.choice().reason() + "\n"
                + String.join("\n", plan.choice().warnings().stream().map(w -> "Warning: " + w).toList())
                + (plan.choice().warnings().isEmpty() ? "" : "\n")
                + "Download: " + Sizes.si(plan.downloadBytes()) + " from " + plan.source()
                + (installed >= 0 ? "\nInstalled size: " + Sizes.si(installed) : "")
                + "\nInto: " + plan.destination()
                + (plan.usableBytes() >= 0 ? " (" + Sizes.si(plan.usableBytes()) + " free)" : "")
                + "\n\nEsc (or the task's cancel button) stops it; running Set Up GPU... again resumes.";
    }

    /** What an {@code auto} install that found no CUDA build to install says. */
    public static String nothingToInstall(EngineInstaller.Plan plan) {
        return "nothing to install: " + plan.choice().reason() + "; the bundled CPU libtorch already is that engine";
    }

    /** What is said at the end of an install or a change: what was done, and what happens after the restart. */
    public static String done(String what, LibtorchFolder engine, EngineSetup setup) {
        return what + " " + engine.describe() + "; Layered remembers it in " + setup.settings().file() + ": "
                + setup.next() + "; " + EngineSetup.afterwards(engine);
    }

    /** A failed install or plan in one line; a cancelled one says how to resume. */
    public static String failure(ModelStoreException e) {
        if (e.reason() == ModelStoreException.Reason.CANCELLED) {
            return "install cancelled; the files downloaded so far are kept: run Set Up GPU... again to resume";
        }
        return Messages.forImageJ(e.getMessage()).replaceAll("(?i)install again", "run Set Up GPU... again")
                + "; the engine in use is unchanged";
    }

    /** Whether a failure of an install is the user's cancellation. */
    public static boolean isCancelled(ModelStoreException e) {
        return e.reason() == ModelStoreException.Reason.CANCELLED;
    }
}
