package org.layered.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.layered.store.FakeHub;
import org.layered.store.TinyHubModel;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** {@code layered fetch} and {@code layered info --model REPO} against the loopback fake hub. */
@Timeout(60)
class FetchCommandTest {
    private static final TinyHubModel MODEL = TinyHubModel.build();

    @TempDir
    Path tmp;
    private FakeHub hub;
    private Path cache;
    private Map<String, String> env;

    @BeforeEach
    void start() throws Exception {
        hub = new FakeHub();
        MODEL.publish(hub, TinyHubModel.REPO, TinyHubModel.COMMIT);
        cache = tmp.resolve("hf/hub");
        // an environment of our own: the real HF cache, token and endpoint of this machine are never used
        env = Map.of("HF_HOME", tmp.resolve("hf").toString());
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    private record Result(int code, String out, String err) {}

    /** Runs a command as LayeredMain does (usage error 2, failure 1, one line on stderr). */
    private Result run(CliCommand c, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        int code;
        try {
            code = c.run(CliArgs.parse(args, c.flags()), o, e);
        } catch (CliArgs.UsageException ex) {
            e.println("layered " + c.name() + ": " + ex.getMessage());
            code = 2;
        } catch (Exception ex) {
            e.println("layered " + c.name() + ": " + LayeredMain.oneLine(ex));
            code = 1;
        }
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private FetchCommand fetch() {
        return new FetchCommand(env, tmp.resolve("home"), 0);
    }

    private InfoCommand info() {
        return new InfoCommand(env, tmp.resolve("home"));
    }

    @Test
    void fetchThenInfoFindsTheModelInTheHfCacheAndVerifiesIt() {
        Result f = run(fetch(), "--model", TinyHubModel.REPO, "--endpoint", hub.endpoint().toString());
        assertEquals(0, f.code(), f.err() + f.out());
        assertTrue(f.out().contains("fetching Qwen/Qwen-Image-Layered@main (commit 0123456789ab)"), f.out());
        assertTrue(f.out().contains("licence: Apache-2.0"), f.out());
        assertTrue(f.out().contains("verified " + TinyHubModel.VAE), f.out());
        assertTrue(f.out().matches("(?s).*B/s, ETA .*"), "progress lines with rate and ETA: " + f.out());
        assertTrue(f.out().contains("model: " + cache.resolve("models--Qwen--Qwen-Image-Layered/snapshots/"
                + TinyHubModel.COMMIT)), f.out());
        assertTrue(Files.isDirectory(cache.resolve("models--Qwen--Qwen-Image-Layered/blobs")), "HF_HOME/hub");

        Result i = run(info(), "--model", TinyHubModel.REPO, "--verify", "true");
        assertEquals(0, i.code(), i.err() + i.out());
        assertTrue(i.out().contains("reference: Qwen/Qwen-Image-Layered@main (commit 0123456789ab) from HF cache"),
                i.out());
        assertTrue(i.out().matches("(?s).*\\n  transformer\\s+present .*"), i.out());
        assertTrue(i.out().matches("(?s).*\\n  processor\\s+present .*\\(optional: .*"), i.out());
        assertTrue(i.out().contains("component vae: 1 file(s), 194 tensors"), i.out());
        assertTrue(i.out().contains("component transformer: 2 file(s), 78 tensors"), i.out());
        assertTrue(i.out().contains("; all files valid"), i.out());
        assertTrue(i.out().contains("non-finite: 0 of 353 tensors"), i.out());
        assertTrue(i.out().matches("(?s).*verify: OK\\s+sha256\\s+" + TinyHubModel.VAE + ".*"), i.out());
        assertTrue(i.out().matches("(?s).*verify: OK\\s+git-sha1\\s+model_index.json.*"), i.out());
        assertTrue(i.out().contains("verify: " + MODEL.modelFiles().size() + " file(s) verified, 0 mismatched"),
                i.out());

        // a second fetch finds everything there
        Result again = run(fetch(), "--endpoint", hub.endpoint().toString());
        assertEquals(0, again.code(), again.err());
        assertTrue(again.out().contains("all files are already in the cache"), again.out());
    }

    @Test
    void infoFailsWithOneLineWhenAVerifiedFileDoesNotMatch() throws Exception {
        assertEquals(0, run(fetch(), "--endpoint", hub.endpoint().toString(), "--cache",
                tmp.resolve("c").toString()).code());
        Path blob = tmp.resolve("c/models--Qwen--Qwen-Image-Layered/blobs").resolve(FakeHub.sha256(
                MODEL.get(TinyHubModel.TEXT)));
        byte[] b = Files.readAllBytes(blob);
        b[b.length - 1] ^= 1;
        Files.write(blob, b);
        Result i = run(info(), "--model", TinyHubModel.REPO, "--cache", tmp.resolve("c").toString(), "--verify",
                "true");
        assertEquals(1, i.code(), i.out());
        assertTrue(i.out().matches("(?s).*verify: MISMATCH\\s+sha256\\s+" + TinyHubModel.TEXT + ".*"), i.out());
        assertEquals(1, i.err().strip().lines().count(), i.err());
        assertTrue(i.err().contains("verification failed for 1 file(s): " + TinyHubModel.TEXT), i.err());
    }

    @Test
    void aMissingModelPointsToFetchWithItsSize() {
        Result i = run(info(), "--model", TinyHubModel.REPO);
        assertEquals(1, i.code());
        assertEquals(1, i.err().strip().lines().count(), i.err());
        assertTrue(i.err().contains("not found") && i.err().contains("57.7 GB")
                && i.err().contains("layered fetch --model Qwen/Qwen-Image-Layered"), i.err());
        // folders behave as before
        Result f = run(info(), "--model", "/nonexistent/model");
        assertEquals(1, f.code());
        assertTrue(f.err().contains("no such file or folder"), f.err());
    }

    @Test
    void fetchErrorsAreOneLineAndUsageErrorsExitWithTwo() {
        FakeHub.Repo gated = MODEL.publish(hub, TinyHubModel.REPO, TinyHubModel.COMMIT);
        gated.gated = true;
        Result denied = run(fetch(), "--endpoint", hub.endpoint().toString());
        assertEquals(1, denied.code());
        assertEquals(1, denied.err().strip().lines().count(), denied.err());
        assertTrue(denied.err().contains("licence") && denied.err().contains("HF_TOKEN"), denied.err());

        assertEquals(2, run(fetch(), "--parallel", "0").code());
        assertEquals(2, run(fetch(), "--endpoint", "ftp://example").code());
        assertEquals(2, run(fetch(), "--model", "a/b@main", "--revision", "x").code());
        assertEquals(2, run(info(), "--model", "x", "--verify", "maybe").code());
        Result folder = run(fetch(), "--model", tmp.toString(), "--endpoint", hub.endpoint().toString());
        assertEquals(1, folder.code());
        assertTrue(folder.err().contains("nothing to download"), folder.err());
    }

    @Test
    void infoOnAPlainFolderCanVerifyToo() {
        Result r = run(info(), "--model", "src/test/resources/golden/vae", "--verify", "true");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("194 tensors"), r.out());
        assertTrue(r.out().contains("without a reference hash"), r.out());
        assertFalse(r.out().contains("reference:"), "a folder is not resolved through the store");
    }

    @Test
    void theCommandIsRegistered() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code = new LayeredMain().run(new String[] {"--help"}, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        assertEquals(0, code);
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("fetch"));
        ByteArrayOutputStream help = new ByteArrayOutputStream();
        new LayeredMain().run(new String[] {"fetch", "--help"}, new PrintStream(help, true, StandardCharsets.UTF_8),
                System.err);
        assertTrue(help.toString(StandardCharsets.UTF_8).contains("--revision REV"));
    }
}
