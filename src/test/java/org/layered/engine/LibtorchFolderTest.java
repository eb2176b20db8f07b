package org.layered.engine;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Libtorch folders as users have them (a pytorch.org archive, a pip-installed torch, an engine install), the
 * settings file, and the selection made from them before DJL loads. The libraries are empty stand-ins: nothing
 * here loads them.
 */
class LibtorchFolderTest {
    @TempDir
    Path dir;

    /** A libtorch-like folder: {@code root/lib/} with the named (empty) libraries. */
    static Path libtorch(Path root, String... libraries) throws IOException {
        Path lib = Files.createDirectories(root.resolve("lib"));
        for (String l : libraries) {
            Files.writeString(lib.resolve(l), "");
        }
        return root;
    }

    @Test
    void aPytorchOrgArchiveIsReadFromItsBuildVersion() throws IOException {
        Path cuda = libtorch(dir.resolve("cu128"), "libtorch.so", "libc10.so", "libtorch_cuda.so");
        Files.writeString(cuda.resolve("build-version"), "2.7.1+cu128\n");
        LibtorchFolder f = LibtorchFolder.inspect(cuda, null, null);
        assertEquals(cuda.resolve("lib"), f.dir(), "the folder or its lib/ may be given");
        assertEquals("2.7.1", f.version());
        assertEquals("cu128", f.flavor());
        assertTrue(f.isCuda());
        assertEquals(cuda.resolve("build-version").toString(), f.origin());

        Path cpu = libtorch(dir.resolve("cpu"), "libtorch.so");
        Files.writeString(cpu.resolve("build-version"), "2.7.1+cpu");
        assertEquals("cpu", LibtorchFolder.inspect(cpu.resolve("lib"), null, null).flavor());
    }

    @Test
    void aPipTorchIsReadFromVersionPyAndNeedsAJniBuiltForIt() throws IOException {
        Path torch = libtorch(dir.resolve("torch"), "libtorch.so", "libtorch_cuda.so");
        Files.writeString(torch.resolve("version.py"), "from typing import Optional\n__version__ = '2.7.1'\n"
                + "debug = False\ncuda: Optional[str] = '12.6'\ngit_version = 'e2d141dbde55c2a4370fac5165b0561b6af4798b'\n");
        EngineException e = assertThrows(EngineException.class, () -> LibtorchFolder.inspect(torch, null, null));
        assertTrue(e.getMessage().contains("has no JNI library for libtorch 2.7.1 cu126"), e.getMessage());
        // with a JNI built for it beside the libraries (what DJL looks for first) it is accepted
        Files.writeString(torch.resolve("lib").resolve(DjlNatives.jniLibrary()), "");
        LibtorchFolder f = LibtorchFolder.inspect(torch, null, null);
        assertEquals("cu126", f.flavor());
        assertEquals(torch.resolve("version.py").toString(), f.origin());

        Path newer = libtorch(dir.resolve("newer"), "libtorch.so", "libtorch_cuda.so",
                DjlNatives.cachedJniName());
        Files.writeString(newer.resolve("version.py"), "__version__ = '2.11.0+cu130'\ncuda = '13.0'\n");
        assertEquals("2.11.0 cu130", LibtorchFolder.inspect(newer, null, null).version() + " "
                + LibtorchFolder.inspect(newer, null, null).flavor());
    }

    @Test
    void whatCannotWorkIsRefusedWithTheReason() throws IOException {
        EngineException none = assertThrows(EngineException.class, () -> LibtorchFolder.inspect(dir, null, null));
        assertTrue(none.getMessage().startsWith("no libtorch.so in " + dir), none.getMessage());
        assertTrue(assertThrows(EngineException.class, () -> LibtorchFolder.inspect(dir.resolve("gone"), null, null))
                .getMessage().startsWith("no such folder"));

        Path unknown = libtorch(dir.resolve("unknown"), "libtorch.so");
        EngineException u = assertThrows(EngineException.class, () -> LibtorchFolder.inspect(unknown, null, null));
        assertTrue(u.getMessage().contains("--version 2.7.1 --flavor cu128"), u.getMessage());
        assertEquals("cpu", LibtorchFolder.inspect(unknown, "2.7.1", "cpu").flavor(), "given instead of detected");

        EngineException mismatch = assertThrows(EngineException.class, () -> LibtorchFolder.inspect(unknown, "2.7.1",
                "cu128"));
        assertTrue(mismatch.getMessage().contains("has no CUDA library"), mismatch.getMessage());
        assertThrows(EngineException.class, () -> LibtorchFolder.inspect(unknown, "2.7.1", "cuda"));
        EngineException old = assertThrows(EngineException.class, () -> LibtorchFolder.inspect(unknown, "2.5.1",
                "cpu"));
        assertTrue(old.getMessage().contains("has no JNI library for libtorch 2.5.1 cpu"), old.getMessage());
    }

    @Test
    void theSettingsRememberAndForgetAndTheSelectionFollowsThem() throws IOException {
        Path home = dir.resolve("home");
        EngineSettings settings = new EngineSettings(home);
        Map<String, String> env = new HashMap<>();
        Map<String, String> props = new HashMap<>();
        EngineSelection bundled = EngineSelection.decide(env, props::get, settings);
        assertEquals(EngineSelection.Source.BUNDLED, bundled.source());
        assertNull(bundled.dir());
        assertTrue(bundled.why().contains(home.resolve(EngineSettings.FILE) + " names none"), bundled.why());

        Path engine = libtorch(dir.resolve("engine"), "libtorch.so", "libtorch_cuda.so");
        Files.writeString(engine.resolve("lib").resolve(LibtorchFolder.MARKER), "version=2.7.1\nflavor=cu128\n");
        settings.remember(LibtorchFolder.inspect(engine, null, null));
        assertEquals(engine.resolve("lib"), settings.engine().orElseThrow().dir());
        EngineSelection remembered = EngineSelection.decide(env, props::get, settings);
        assertEquals(EngineSelection.Source.REMEMBERED, remembered.source());
        assertEquals("cu128", remembered.flavor());
        assertNull(remembered.warning());
        assertFalse(remembered.sameEngine(bundled));

        env.put("PYTORCH_FLAVOR", "cpu");
        assertTrue(EngineSelection.decide(env, props::get, settings).warning().contains("PYTORCH_FLAVOR=cpu"));
        env.clear();

        props.put("PYTORCH_LIBRARY_PATH", engine.resolve("lib").toString());
        EngineSelection byHand = EngineSelection.decide(env, props::get, settings);
        assertEquals(EngineSelection.Source.SYSTEM_PROPERTY, byHand.source());
        env.put("PYTORCH_LIBRARY_PATH", "/opt/elsewhere");
        assertEquals(EngineSelection.Source.ENVIRONMENT, EngineSelection.decide(env, props::get, settings).source());
        env.clear();
        props.clear();

        // a remembered folder that has gone: the bundled engine, and a warning that says how to forget it
        Files.delete(engine.resolve("lib").resolve("libtorch.so"));
        EngineSelection gone = EngineSelection.decide(env, props::get, settings);
        assertEquals(EngineSelection.Source.BUNDLED, gone.source());
        assertTrue(gone.warning().contains("'layered engine use default'"), gone.warning());

        settings.forget();
        assertTrue(settings.engine().isEmpty());
        assertNull(EngineSelection.decide(env, props::get, settings).warning());
    }

    @Test
    void theHomeFolderIsThePropertyTheEnvironmentOrDotLayered() {
        assertEquals(Path.of("/p").toAbsolutePath(), LayeredHome.dir(Map.of("LAYERED_HOME", "/e"), "/p", "/u"));
        assertEquals(Path.of("/e").toAbsolutePath(), LayeredHome.dir(Map.of("LAYERED_HOME", "/e"), null, "/u"));
        assertEquals(Path.of("/u/.layered").toAbsolutePath(), LayeredHome.dir(Map.of(), " ", "/u"));
    }
}
