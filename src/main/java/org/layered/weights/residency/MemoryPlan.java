package org.layered.weights.residency;

import java.util.List;
import java.util.Map;

/**
 * What {@link MemoryPlanner} decided: where each component's weight groups live, and per stage the predicted peak
 * of device and host memory and what a pass moves over the bus. Sizes in bytes.
 *
 * @param stages     per stage, in run order
 * @param placements per component
 * @param budget     the memory planned for
 */
public record MemoryPlan(List<StagePlan> stages, Map<String, Placement> placements, MemoryPlanner.Budget budget) {
    public MemoryPlan {
        stages = List.copyOf(stages);
        placements = Map.copyOf(placements);
    }

    /** Whether, and how, the run fits. */
    public enum Verdict {
        /** Every weight the stages use is device-resident. */
        FITS("fits"),
        /** It fits, with some weight groups copied from host memory or read from the file when used. */
        FITS_WITH_STREAMING("fits with streaming"),
        /** A stage needs more than the device (or, on a CPU, the host) has, whatever is streamed. */
        DOES_NOT_FIT("does not fit");

        private final String text;

        Verdict(String text) {
            this.text = text;
        }

        public String text() {
            return text;
        }
    }

    /**
     * One component's groups by tier, with their held bytes.
     *
     * @param format how its held groups store linear weights
     */
    public record Placement(String component, WeightFormat format, int deviceGroups, long deviceBytes,
            int hostGroups, long hostBytes, int fileGroups, long fileBytes) {
        /** Whether every group is device-resident. */
        public boolean resident() {
            return hostGroups == 0 && fileGroups == 0;
        }

        /** The residency policy that holds exactly these groups (groups in the same priority order). */
        public ResidencyPolicy policy() {
            if (resident()) {
                return ResidencyPolicy.resident().withFormat(format);
            }
            if (deviceGroups == 0 && hostGroups == 0) {
                return ResidencyPolicy.streamed();
            }
            return ResidencyPolicy.tiered(deviceBytes, hostBytes, format);
        }
    }

    /**
     * One stage's prediction.
     *
     * @param devicePeak   device bytes at the stage's peak (weights held, copies in use, tensors)
     * @param hostPeak     host bytes weights hold during the stage (on a CPU: the device peak)
     * @param hostMoved    bytes one pass copies from host memory to the device
     * @param fileMoved    bytes one pass reads from the file
     * @param passes       passes per {@code per}
     */
    public record StagePlan(String name, List<String> loaded, List<String> active, long devicePeak, long hostPeak,
            long hostMoved, long fileMoved, int passes, String per) {
        public StagePlan {
            loaded = List.copyOf(loaded);
            active = List.copyOf(active);
        }
    }

    /** The verdict: does not fit when a stage exceeds the budget, else fits (with streaming when anything streams). */
    public Verdict verdict() {
        for (StagePlan s : stages) {
            long host = budget.unified() ? s.devicePeak() : s.hostPeak();
            if (s.devicePeak() > budget.deviceBytes() || host > budget.hostBytes()) {
                return Verdict.DOES_NOT_FIT;
            }
        }
        for (StagePlan s : stages) {
            for (String c : s.active()) {
                if (!placements.get(c).resident()) {
                    return Verdict.FITS_WITH_STREAMING;
                }
            }
        }
        return Verdict.FITS;
    }

    /** The stage named {@code name}, or null. */
    public StagePlan stage(String name) {
        for (StagePlan s : stages) {
            if (s.name().equals(name)) {
                return s;
            }
        }
        return null;
    }

    /** The largest device peak over the stages. */
    public long devicePeak() {
        return stages.stream().mapToLong(StagePlan::devicePeak).max().orElse(0);
    }

    /** The largest host peak over the stages. */
    public long hostPeak() {
        return stages.stream().mapToLong(s -> budget.unified() ? s.devicePeak() : s.hostPeak()).max().orElse(0);
    }
}
