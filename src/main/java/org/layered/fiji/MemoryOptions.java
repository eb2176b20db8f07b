package org.layered.fiji;

import org.layered.pipeline.MemoryMode;
import org.layered.weights.residency.WeightFormat;

import java.util.List;

/**
 * The memory keys of Decompose (macro = dialog = SciJava): {@code memory} ({@code auto}: the memory plan decides
 * what is device-resident, streamed from host memory or read from the file; {@code resident}: everything on the
 * device), {@code vram_gib} (blank: the GPU's free memory; else use at most that many GiB) and {@code weights}
 * ({@code bf16} as stored, or {@code fp8}: the transformer's linear weights as float8).
 */
public record MemoryOptions(String memory, String vramGib, String weights) {
    public static final String MEMORY = "memory";
    public static final String VRAM_GIB = "vram_gib";
    public static final String WEIGHTS = "weights";
    /** The keys, in the order they are recorded. */
    public static final List<String> KEYS = List.of(MEMORY, VRAM_GIB, WEIGHTS);

    public MemoryOptions {
        memory = memory == null || memory.isBlank() ? MemoryMode.AUTO.key() : memory.strip();
        vramGib = vramGib == null ? "" : vramGib.strip();
        weights = weights == null || weights.isBlank() ? WeightFormat.BF16.key() : weights.strip();
    }

    /** auto, no cap, bf16. */
    public static MemoryOptions defaults() {
        return new MemoryOptions("auto", "", "bf16");
    }

    /** The memory keys of a macro option string, {@code base} for those absent. */
    public static MemoryOptions parse(MacroOptions o, MemoryOptions base) {
        return new MemoryOptions(o.string(MEMORY, base.memory()), o.string(VRAM_GIB, base.vramGib()),
                o.string(WEIGHTS, base.weights()));
    }

    /** @throws IllegalArgumentException naming the key and the accepted values */
    public MemoryMode mode() {
        return MemoryMode.parse(memory);
    }

    /** @throws IllegalArgumentException naming the key and the accepted values */
    public WeightFormat format() {
        return WeightFormat.parse(weights);
    }

    /**
     * The cap in bytes, or null for none.
     *
     * @throws IllegalArgumentException for anything but blank or a positive number of GiB
     */
    public Long vramCap() {
        if (vramGib.isEmpty()) {
            return null;
        }
        try {
            double g = Double.parseDouble(vramGib);
            if (!(g > 0) || g > 1e6) {
                throw new NumberFormatException();
            }
            return (long) (g * (1L << 30));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(VRAM_GIB + " must be blank (the GPU's free memory) or a positive "
                    + "number of GiB, got '" + vramGib + "'");
        }
    }

    /** Checks every value. @throws IllegalArgumentException with a message for the user */
    public MemoryOptions validate() {
        mode();
        format();
        vramCap();
        return this;
    }

    /** The macro items, as the recorder writes them. */
    public List<String> macroItems() {
        return List.of(MacroOptions.item(MEMORY, memory), MacroOptions.item(VRAM_GIB, vramGib),
                MacroOptions.item(WEIGHTS, weights));
    }
}
