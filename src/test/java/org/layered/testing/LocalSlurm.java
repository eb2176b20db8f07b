package org.layered.testing;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A single-node SLURM cluster of Debian's {@code slurm-wlm} and {@code munge}, started in a folder of its own and
 * reachable on loopback only: {@code munged} with a fresh key and its own socket, {@code slurmctld} and
 * {@code slurmd} on free ports, all three in the foreground as children of this JVM and run as the current user
 * ({@code SlurmUser} and {@code SlurmdUser}). Its plugins need neither systemd nor cgroup delegation
 * ({@code proctrack/linuxproc}, {@code task/none}, {@code select/cons_tres}, no accounting), and the node declares
 * {@code gpus} fake GPUs (links to {@code /dev/null}), so that jobs can ask for {@code --gres=gpu:1} as on a real
 * cluster. Client commands see it through {@link #putEnvironment} ({@code SLURM_CONF}). Closing cancels every job,
 * stops the daemons and ends whatever the jobs left running; a JVM that exits early does the same.
 */
public final class LocalSlurm implements AutoCloseable {
    /** The daemons and client commands the cluster needs. */
    public static final List<String> COMMANDS = List.of("munged", "slurmctld", "slurmd", "sbatch", "scontrol",
            "squeue", "scancel", "sinfo");
    public static final String NODE = "layered";

    private final Path dir;
    private final Path conf;
    private final List<Process> daemons = new ArrayList<>();
    private final Thread hook = new Thread(this::stop, "LocalSlurm shutdown");
    private boolean closed;

    private LocalSlurm(Path dir) {
        this.dir = dir;
        this.conf = dir.resolve("slurm.conf");
    }

    /** The command of {@link #COMMANDS} missing from PATH, if any. */
    public static Optional<String> missingCommand() {
        return COMMANDS.stream().filter(c -> which(c) == null).findFirst();
    }

    /** Starts the cluster in {@code dir} (created, world-readable: munged insists) and waits for the node. */
    public static LocalSlurm start(Path dir, int cpus, int gpus) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        LocalSlurm slurm = new LocalSlurm(dir);
        Runtime.getRuntime().addShutdownHook(slurm.hook);
        try {
            slurm.configure(cpus, gpus);
            slurm.launch();
        } catch (IOException | InterruptedException | RuntimeException | Error e) {
            slurm.close();
            throw e;
        }
        return slurm;
    }

    private void configure(int cpus, int gpus) throws IOException {
        Path munge = Files.createDirectories(dir.resolve("munge"));
        Files.setPosixFilePermissions(munge, PosixFilePermissions.fromString("rwxr-xr-x"));
        byte[] key = new byte[1024];
        new SecureRandom().nextBytes(key);
        Files.write(munge.resolve("munge.key"), key);
        Files.setPosixFilePermissions(munge.resolve("munge.key"), PosixFilePermissions.fromString("r--------"));
        for (String d : new String[] {"state", "spool/" + NODE, "log", "gpu"}) {
            Files.createDirectories(dir.resolve(d));
        }
        for (int i = 0; i < gpus; i++) {
            Files.createSymbolicLink(dir.resolve("gpu/gpu" + i), Path.of("/dev/null"));
        }
        String user = System.getProperty("user.name");
        String text = String.join("\n",
                "ClusterName=layeredtest",
                "SlurmctldHost=" + shortHostName() + "(127.0.0.1)",
                "SlurmctldPort=" + freePort(),
                "SlurmdPort=" + freePort(),
                "SlurmUser=" + user,
                "SlurmdUser=" + user,
                "AuthType=auth/munge",
                "CredType=cred/munge",
                "AuthInfo=socket=" + munge.resolve("socket"),
                "StateSaveLocation=" + dir.resolve("state"),
                "SlurmdSpoolDir=" + dir.resolve("spool/%n"),
                "SlurmctldPidFile=" + dir.resolve("slurmctld.pid"),
                "SlurmdPidFile=" + dir.resolve("slurmd-%n.pid"),
                "SlurmctldLogFile=" + dir.resolve("log/slurmctld.log"),
                "SlurmdLogFile=" + dir.resolve("log/slurmd-%n.log"),
                "ProctrackType=proctrack/linuxproc",
                "TaskPlugin=task/none",
                "SelectType=select/cons_tres",
                "SelectTypeParameters=CR_Core",
                "SwitchType=switch/none",
                "MpiDefault=none",
                "JobAcctGatherType=jobacct_gather/none",
                "AccountingStorageType=accounting_storage/none",
                "MailProg=/bin/true",
                "ReturnToService=2",
                // a killed job's processes get SIGKILL 5 s after SIGTERM (default 30 s); finished jobs stay visible
                "KillWait=5",
                "MinJobAge=600",
                "SchedulerParameters=sched_interval=2",
                "GresTypes=gpu",
                "NodeName=" + NODE + " NodeAddr=127.0.0.1 NodeHostname=localhost CPUs=" + cpus + " Gres=gpu:" + gpus
                        + " State=UNKNOWN",
                "PartitionName=main Nodes=" + NODE + " Default=YES MaxTime=INFINITE State=UP", "");
        Files.writeString(conf, text, StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("gres.conf"), "AutoDetect=off\nNodeName=" + NODE + " Name=gpu File="
                + dir.resolve("gpu/gpu") + (gpus == 1 ? "0" : "[0-" + (gpus - 1) + "]") + "\n",
                StandardCharsets.UTF_8);
    }

    private void launch() throws IOException, InterruptedException {
        Path munge = dir.resolve("munge");
        // --force: munged also wants every folder above its socket to be searchable by all, which a private
        // temporary folder need not be; it then warns instead of refusing
        daemon("munged", "--foreground", "--force", "--key-file=" + munge.resolve("munge.key"),
                "--socket=" + munge.resolve("socket"), "--pid-file=" + munge.resolve("munged.pid"),
                "--log-file=" + munge.resolve("munged.log"), "--seed-file=" + munge.resolve("munged.seed"));
        await("munged to open its socket", Duration.ofSeconds(20), () -> Files.exists(munge.resolve("socket")));
        daemon("slurmctld", "-D", "-i");
        daemon("slurmd", "-D", "-N", NODE);
        await("the node to be idle", Duration.ofSeconds(60), () -> {
            try {
                return "idle".equals(run("sinfo", "-h", "-n", NODE, "-o", "%T").strip());
            } catch (AssertionError | IOException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return true;
            }
        });
    }

    private void daemon(String name, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(which(name).toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dir.resolve("log/" + name + ".out").toFile());
        putEnvironment(pb);
        daemons.add(pb.start());
    }

    /** The environment client commands need to reach this cluster. */
    private Map<String, String> environment() {
        return Map.of("SLURM_CONF", conf.toString());
    }

    /**
     * Gives {@code pb} this cluster's environment, without the SLURM and sbatch settings this JVM may have inherited
     * (from a job it runs in, say), which would otherwise apply to the commands and jobs here.
     */
    public void putEnvironment(ProcessBuilder pb) {
        pb.environment().keySet().removeIf(k -> k.startsWith("SLURM_") || k.startsWith("SBATCH_"));
        pb.environment().putAll(environment());
    }

    /** The daemons, munged first. */
    public List<ProcessHandle> daemons() {
        return daemons.stream().map(Process::toHandle).toList();
    }

    /** Runs a client command ({@code sbatch}, {@code scontrol}...); returns its output, fails on a bad status. */
    public String run(String... command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        putEnvironment(pb);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(String.join(" ", command) + " did not return");
        }
        assertEquals(0, p.exitValue(), String.join(" ", command) + ":\n" + out);
        return out;
    }

    /** The job's fields as {@code scontrol show job} prints them, e.g. {@code JobState=COMPLETED}. */
    public String job(String id) throws IOException, InterruptedException {
        return run("scontrol", "show", "job", id);
    }

    /** Waits for {@code condition}; fails after {@code timeout} with the daemons' logs. */
    public void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out after " + timeout + " waiting for " + what + "\n" + logs());
            }
            Thread.sleep(250);
        }
    }

    /** The ends of the daemons' logs, for failure messages. */
    public String logs() {
        StringBuilder s = new StringBuilder();
        try (Stream<Path> files = Files.list(dir.resolve("log"))) {
            for (Path f : files.sorted().toList()) {
                String text = Files.readString(f, StandardCharsets.ISO_8859_1);
                s.append("--- ").append(f.getFileName()).append('\n')
                        .append(text.length() > 3000 ? text.substring(text.length() - 3000) : text).append('\n');
            }
        } catch (IOException e) {
            s.append("(cannot read the logs: ").append(e).append(")\n");
        }
        return s.toString();
    }

    @Override
    public synchronized void close() {
        stop();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is exiting: the hook runs stop() itself
        }
    }

    private synchronized void stop() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (daemons.size() == 3 && daemons.stream().allMatch(Process::isAlive)) {
                run("scancel", "--user=" + System.getProperty("user.name"));
                long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                while (!run("squeue", "-h").isBlank() && System.nanoTime() < deadline) {
                    Thread.sleep(250);
                }
            }
        } catch (IOException | InterruptedException | AssertionError e) {
            // the daemons go anyway; the sweep below ends what the jobs left
        }
        for (int i = daemons.size() - 1; i >= 0; i--) {
            end(daemons.get(i).toHandle());
        }
        // job processes (slurmstepd's children are not the daemons' descendants): all carry this cluster's
        // SLURM_CONF in their environment, a path nothing else has
        String mark = "SLURM_CONF=" + conf;
        ProcessHandle.allProcesses().filter(p -> environ(p).contains(mark)).forEach(LocalSlurm::end);
    }

    /** SIGTERM to a process and its descendants, SIGKILL 10 s later to whatever is left. */
    private static void end(ProcessHandle p) {
        List<ProcessHandle> all = new ArrayList<>(p.descendants().toList());
        all.add(p);
        all.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        for (ProcessHandle h : all) {
            try {
                h.onExit().get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (Exception e) {
                h.destroyForcibly();
            }
        }
    }

    private static List<String> environ(ProcessHandle p) {
        try {
            byte[] env = Files.readAllBytes(Path.of("/proc", Long.toString(p.pid()), "environ"));
            return List.of(new String(env, StandardCharsets.UTF_8).split("\0"));
        } catch (IOException | SecurityException e) {
            return List.of();
        }
    }

    private static String shortHostName() throws IOException {
        // slurmctld runs only on the host that SlurmctldHost names, compared with its short host name
        String name = Files.readString(Path.of("/proc/sys/kernel/hostname"), StandardCharsets.UTF_8).strip();
        int dot = name.indexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** The executable {@code name} on PATH (also /usr/sbin and /sbin, where Debian puts the daemons), or null. */
    public static Path which(String name) {
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin") + File.pathSeparator + "/usr/sbin"
                + File.pathSeparator + "/sbin";
        for (String d : path.split(File.pathSeparator)) {
            Path p = Path.of(d, name);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }
}
