package org.layered.fiji.ij1;

import ij.gui.GenericDialog;
import org.layered.fiji.MemoryOptions;

/**
 * The memory fields of the Decompose dialogs (keys {@code memory}, {@code vram_gib}, {@code weights}): added and
 * read back together, in this order.
 */
final class MemoryFields {
    static final String[] MODES = {"auto", "resident"};
    static final String[] WEIGHTS = {"bf16", "fp8"};

    private MemoryFields() {}

    static void add(GenericDialog gd, MemoryOptions base) {
        gd.addChoice("Memory (auto = as the memory plan decides)", MODES, base.memory());
        gd.addStringField("VRAM_GiB cap (blank = the GPU's free memory)", base.vramGib(), 6);
        gd.addChoice("Weights (fp8 = float8 transformer, half the memory)", WEIGHTS, base.weights());
    }

    static MemoryOptions read(GenericDialog gd) {
        String memory = gd.getNextChoice();
        String vram = gd.getNextString();
        String weights = gd.getNextChoice();
        return new MemoryOptions(memory, vram, weights);
    }
}
