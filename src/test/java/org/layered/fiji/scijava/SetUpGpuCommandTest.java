package org.layered.fiji.scijava;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layered.engine.DjlNatives;
import org.scijava.Context;
import org.scijava.command.CommandModule;
import org.scijava.command.CommandService;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** The SciJava Set Up GPU... command in a plain SciJava context: its menu entry, the report, a refused folder. */
class SetUpGpuCommandTest {
    static Context context;
    static CommandService commands;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() {
        context = new Context();
        commands = context.service(CommandService.class);
    }

    @AfterAll
    static void stop() {
        context.dispose();
    }

    @Test
    void reportsTheEngineAndRefusesAFolderWithoutLibtorch() throws Exception {
        assertEquals("Plugins > Layered > Set Up GPU...", commands.getCommand(SetUpGpuCommand.class).getMenuPath()
                .getMenuString());
        CommandModule info = commands.run(SetUpGpuCommand.class, false, "action", "info").get();
        assertFalse(info.isCanceled(), info.getCancelReason());
        String report = (String) info.getOutput("report");
        assertTrue(report.contains("libtorch:      " + DjlNatives.pytorchVersion() + ", flavour cpu"), report);
        assertTrue(report.contains("device:        auto → cpu"), report);

        CommandModule use = commands.run(SetUpGpuCommand.class, false, "action", "use", "folder",
                tmp.toFile()).get();
        assertTrue(use.isCanceled());
        assertTrue(use.getCancelReason().startsWith("no libtorch.so in " + tmp), use.getCancelReason());
        assertTrue(((String) use.getOutput("report")).contains("error: no libtorch.so in"));
    }
}
