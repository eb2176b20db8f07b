package org.layered.fiji.scijava;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.layered.engine.TorchEngine;
import org.scijava.Context;
import org.scijava.command.CommandService;
import org.scijava.module.Module;
import org.scijava.module.ModuleService;

import static org.junit.jupiter.api.Assertions.*;

/** The Decompose command's device list, as its dialog shows it after the initializers ran. */
class DeviceListTest {
    static Context context;

    @BeforeAll
    static void start() {
        context = new Context();
    }

    @AfterAll
    static void stop() {
        context.dispose();
    }

    @Test
    void theDialogListsExactlyTheDevicesThereAre() throws Exception {
        ModuleService modules = context.service(ModuleService.class);
        Module m = modules.createModule(context.service(CommandService.class).getCommand(DecomposeCommand.class));
        m.setInput("device", "cuda:3"); // remembered from another machine
        m.initialize();
        String expected = "Devices here: " + String.join("; ", TorchEngine.deviceMenu().labels()) + ". "
                + TorchEngine.deviceMenu().autoNote();
        assertEquals(expected, m.getInput("devices"));
        assertTrue(expected.startsWith("Devices here: auto; cpu"), expected);
        assertEquals("auto", m.getInput("device"), "a device that is not here is not kept");
    }
}
