package org.layered.weights.residency;

import org.layered.engine.DType;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToLongFunction;

/**
 * Decides where each component's weights live for a run, stage by stage, from sizes alone (no engine, no weights
 * read): pure arithmetic over the components' weight groups, the stages' activation models and the memory there is.
 *
 * <p>Each adjustable component, in the order given (the most compute-heavy first), holds as many of its groups on
 * the device (in priority order) as every stage it is loaded in allows, next to what earlier components hold and the
 * stage's tensors; then as many of the rest in host memory as the host allows; the others are read from the file
 * when used. A group streamed from host memory costs its device copy twice while in use (the copy in use and the
 * next one, issued ahead); a group read from the file costs itself in the compute dtype; float8 groups cost their
 * dequantised linear weights when used. The stages' activation models are asked with exactly those costs.
 */
public final class MemoryPlanner {
    private MemoryPlanner() {}

    /**
     * A component whose weights the plan places.
     *
     * @param name       e.g. {@code transformer}
     * @param groups     weight groups in priority order (held first)
     * @param dtype      compute dtype
     * @param format     how held groups store linear weights
     * @param adjustable whether the plan may stream it ({@code false}: always fully device-resident, as the VAE)
     */
    public record Component(String name, List<GroupSize> groups, DType dtype, WeightFormat format,
            boolean adjustable) {
        public Component {
            groups = List.copyOf(groups);
        }

        long held(int from, int to) {
            long n = 0;
            for (int i = from; i < to; i++) {
                n += groups.get(i).heldBytes(dtype, format);
            }
            return n;
        }

        long all() {
            return held(0, groups.size());
        }
    }

    /** A stage's device tensors (weights excluded), given what acquiring each group allocates, by group name. */
    @FunctionalInterface
    public interface Activations {
        long peak(ToLongFunction<String> acquired);
    }

    /**
     * One stage of the run.
     *
     * @param name        e.g. {@code denoising}
     * @param loaded      components whose held weights occupy memory during the stage
     * @param active      components whose groups the stage uses (a subset of {@code loaded})
     * @param activations the stage's tensors
     * @param passes      passes through the active components' groups per unit of {@code per} (2 forward passes per
     *                    step with CFG)
     * @param per         what a pass count is per, e.g. {@code step}, {@code token}, {@code prompt}
     */
    public record Stage(String name, List<String> loaded, List<String> active, Activations activations, int passes,
            String per) {
        public Stage {
            loaded = List.copyOf(loaded);
            active = List.copyOf(active);
        }
    }

    /**
     * The memory there is.
     *
     * @param deviceBytes what tensors may use on the compute device (after the CUDA context's reserve)
     * @param hostBytes   what weights held in host memory may use
     * @param unified     whether the device is the host (CPU runs: no host tier)
     */
    public record Budget(long deviceBytes, long hostBytes, boolean unified) {}

    /** Plans {@code components} (adjustable ones in priority order) over {@code stages}. */
    public static MemoryPlan plan(List<Component> components, List<Stage> stages, Budget budget) {
        try {
            return planWithCache(components, stages, budget);
        } finally {
            CACHE.remove();
        }
    }

    private static MemoryPlan planWithCache(List<Component> components, List<Stage> stages, Budget budget) {
        Map<String, Component> byName = new LinkedHashMap<>();
        components.forEach(c -> byName.put(c.name(), c));
        Map<String, int[]> tiers = new LinkedHashMap<>(); // {device groups, host groups}
        for (Component c : components) {
            tiers.put(c.name(), new int[] {c.adjustable() ? 0 : c.groups().size(), 0});
        }
        for (Component c : components) {
            if (!c.adjustable()) {
                continue;
            }
            int[] t = tiers.get(c.name());
            int n = c.groups().size();
            // preferred: the most device groups with every other group in host memory (copies are fast); fewer
            // device groups need more host memory, so only the largest device share can be the one
            if (!budget.unified()) {
                int k = largest(n, m -> set(t, m, n - m) && deviceFits(byName, tiers, stages, budget));
                if (k >= 0 && set(t, k, n - k) && hostPeak(byName, tiers, stages) <= budget.hostBytes()) {
                    continue;
                }
            }
            // else the most device groups with the rest read from the file, then what host memory still takes
            int device = Math.max(0, largest(n, m -> set(t, m, 0) && deviceFits(byName, tiers, stages, budget)));
            int host = budget.unified() ? 0 : Math.max(0, largest(n - device, m -> set(t, device, m)
                    && deviceFits(byName, tiers, stages, budget)
                    && hostPeak(byName, tiers, stages) <= budget.hostBytes()));
            set(t, device, host);
        }
        List<MemoryPlan.StagePlan> out = new ArrayList<>();
        for (Stage s : stages) {
            out.add(new MemoryPlan.StagePlan(s.name(), s.loaded(), s.active(), devicePeak(byName, tiers, s),
                    hostPeak(byName, tiers, s), moved(byName, tiers, s, false), moved(byName, tiers, s, true),
                    s.passes(), s.per()));
        }
        Map<String, MemoryPlan.Placement> placements = new LinkedHashMap<>();
        for (Component c : components) {
            int[] t = tiers.get(c.name());
            int n = c.groups().size();
            placements.put(c.name(), new MemoryPlan.Placement(c.name(), c.format(), t[0], c.held(0, t[0]), t[1],
                    c.held(t[0], t[0] + t[1]), n - t[0] - t[1], c.held(t[0] + t[1], n)));
        }
        return new MemoryPlan(out, placements, budget);
    }

    /** The largest {@code m} in [0, n] that {@code ok} accepts (it accepts every smaller one too), else -1. */
    private static int largest(int n, java.util.function.IntPredicate ok) {
        if (!ok.test(0)) {
            return -1;
        }
        int lo = 0;
        int hi = n;
        while (lo < hi) {
            int mid = (lo + hi + 1) / 2;
            if (ok.test(mid)) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    private static boolean set(int[] t, int device, int host) {
        t[0] = device;
        t[1] = host;
        return true;
    }

    private static boolean deviceFits(Map<String, Component> comps, Map<String, int[]> tiers, List<Stage> stages,
            Budget budget) {
        for (Stage s : stages) {
            if (devicePeak(comps, tiers, s) > budget.deviceBytes()) {
                return false;
            }
        }
        return true;
    }

    /** Device bytes at the stage's peak: held groups, host copies in use, the stage's tensors. */
    static long devicePeak(Map<String, Component> comps, Map<String, int[]> tiers, Stage s) {
        long held = 0;
        for (String name : s.loaded()) {
            held += comps.get(name).held(0, tiers.get(name)[0]);
        }
        Map<String, Long> acquired = new LinkedHashMap<>();
        for (String name : s.active()) {
            Component c = comps.get(name);
            int[] t = tiers.get(name);
            long largestHost = 0;
            for (int i = 0; i < c.groups().size(); i++) {
                GroupSize g = c.groups().get(i);
                WeightTier tier = i < t[0] ? WeightTier.DEVICE : i < t[0] + t[1] ? WeightTier.HOST : WeightTier.FILE;
                if (tier == WeightTier.HOST) {
                    largestHost = Math.max(largestHost, g.heldBytes(c.dtype(), c.format()));
                }
                acquired.put(g.name(), acquisitionBytes(g, tier, c.dtype(), c.format()));
            }
            held += hostCopies(largestHost);
        }
        return held + CACHE.get().computeIfAbsent(new Asked(s, acquired),
                k -> s.activations().peak(g -> acquired.getOrDefault(g, 0L)));
    }

    /** A stage's activation model asked with these acquisition costs: the search asks the same ones many times. */
    private record Asked(Stage stage, Map<String, Long> acquired) {}

    private static final ThreadLocal<Map<Asked, Long>> CACHE = ThreadLocal.withInitial(java.util.HashMap::new);

    /**
     * Bytes acquiring {@code g} allocates in the caller's scope: for a group read from the file the group in the
     * compute dtype, else its dequantised float8 weights (nothing for a group held in the compute dtype).
     */
    public static long acquisitionBytes(GroupSize g, WeightTier tier, DType dtype, WeightFormat format) {
        return tier == WeightTier.FILE ? g.heldBytes(dtype, WeightFormat.BF16) : g.dequantizedBytes(dtype, format);
    }

    /** Device bytes of host-tier copies while a component runs: the copy in use and the next one, issued ahead. */
    public static long hostCopies(long largestHostGroup) {
        return 2 * largestHostGroup;
    }

    /** Host bytes held during the stage: host tiers of loaded components (the device's peak too on a CPU). */
    static long hostPeak(Map<String, Component> comps, Map<String, int[]> tiers, Stage s) {
        long host = 0;
        for (String name : s.loaded()) {
            int[] t = tiers.get(name);
            host += comps.get(name).held(t[0], t[0] + t[1]);
        }
        return host;
    }

    private static long hostPeak(Map<String, Component> comps, Map<String, int[]> tiers, List<Stage> stages) {
        long max = 0;
        for (Stage s : stages) {
            max = Math.max(max, hostPeak(comps, tiers, s));
        }
        return max;
    }

    /** Bytes a pass through the stage's active components moves from host memory ({@code file}: from the file). */
    private static long moved(Map<String, Component> comps, Map<String, int[]> tiers, Stage s, boolean file) {
        long n = 0;
        for (String name : s.active()) {
            Component c = comps.get(name);
            int[] t = tiers.get(name);
            for (int i = t[0]; i < c.groups().size(); i++) {
                boolean fromFile = i >= t[0] + t[1];
                if (fromFile == file) {
                    n += fromFile ? c.groups().get(i).storedBytes() : c.groups().get(i).heldBytes(c.dtype(),
                            c.format());
                }
            }
        }
        return n;
    }
}
