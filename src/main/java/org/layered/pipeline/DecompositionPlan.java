package org.layered.pipeline;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import org.layered.engine.DType;
import org.layered.weights.residency.MemoryPlan;
import org.layered.weights.residency.MemoryPlan.Placement;
import org.layered.weights.residency.MemoryPlan.StagePlan;
import org.layered.weights.residency.ResidencyPolicy;
import org.layered.weights.residency.WeightFormat;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A decomposition's memory plan as the front ends show and apply it: per stage where each component's weights live
 * and the predicted peaks, the bytes a denoising step moves, the verdict line, the residency policies the pipeline
 * loads the components with, and whether the text encoder stays loaded after prompt encoding.
 */
public final class DecompositionPlan {
    private final DecompositionPlanner.ModelConfigs model;
    private final DecompositionPlanner.Request request;
    private final DecompositionPlanner.Machine machine;
    private final ResolutionBucket bucket;
    private final DType dtype;
    private final boolean cfg;
    private final boolean batchedGuidance;
    private final MemoryPlan plan;
    private final boolean keepTextEncoder;
    private final long encodeStripBytes;
    private final long decodeStripBytes;
    private final String suggestion;

    DecompositionPlan(DecompositionPlanner.ModelConfigs model, DecompositionPlanner.Request request,
            DecompositionPlanner.Machine machine, ResolutionBucket bucket, DType dtype, boolean cfg,
            boolean batchedGuidance, MemoryPlan plan, boolean keepTextEncoder, long encodeStripBytes,
            long decodeStripBytes, String suggestion) {
        this.model = model;
        this.request = request;
        this.machine = machine;
        this.bucket = bucket;
        this.dtype = dtype;
        this.cfg = cfg;
        this.batchedGuidance = batchedGuidance;
        this.plan = plan;
        this.keepTextEncoder = keepTextEncoder;
        this.encodeStripBytes = encodeStripBytes;
        this.decodeStripBytes = decodeStripBytes;
        this.suggestion = suggestion;
    }

    DecompositionPlan withSuggestion(String s) {
        return new DecompositionPlan(model, request, machine, bucket, dtype, cfg, batchedGuidance, plan,
                keepTextEncoder, encodeStripBytes, decodeStripBytes, s);
    }

    /** Whether true CFG runs (two predictions per step). */
    boolean cfg() {
        return cfg;
    }

    /**
     * Whether true CFG's two predictions per step are one transformer call on a batch of two: planned on a GPU when
     * the doubled activations fit beside the same weights as two calls would hold ({@link GuidanceBatching#AUTO}).
     */
    public boolean batchedGuidance() {
        return batchedGuidance;
    }

    /**
     * The VAE's row-strip budget for encoding the image ({@code RgbaVae.stripBudgetBytes}; {@code Long.MAX_VALUE}:
     * whole frames): the largest the plan fits.
     */
    public long encodeStripBytes() {
        return encodeStripBytes;
    }

    /** The VAE's row-strip budget for decoding the layers, as {@link #encodeStripBytes()}. */
    public long decodeStripBytes() {
        return decodeStripBytes;
    }

    static String strips(long bytes) {
        return bytes == Long.MAX_VALUE ? "whole frames" : "row strips of " + (bytes >> 20) + " MiB";
    }

    public MemoryPlan plan() {
        return plan;
    }

    public DecompositionPlanner.Request request() {
        return request;
    }

    /** Whether the text encoder stays loaded after prompt encoding (only when everything then still fits). */
    public boolean keepTextEncoder() {
        return keepTextEncoder;
    }

    /** The residency the transformer is loaded with. */
    public ResidencyPolicy transformerPolicy() {
        return policy(DecompositionPlanner.TRANSFORMER);
    }

    /** The residency prompt encoding loads the text encoder with. */
    public ResidencyPolicy textEncoderPolicy() {
        return policy(DecompositionPlanner.TEXT_ENCODER);
    }

    /** The residency the captioner is loaded with. */
    public ResidencyPolicy captionerPolicy() {
        return policy(DecompositionPlanner.CAPTIONER);
    }

    private ResidencyPolicy policy(String component) {
        Placement p = plan.placements().get(component);
        return p == null ? ResidencyPolicy.streamed() : p.policy();
    }

    /** The flags that differ from {@code original}'s settings: {@code --weights fp8 --layers 3}. */
    String settingsFlags(DecompositionPlanner.Request original) {
        List<String> flags = new ArrayList<>();
        if (request.weights() != original.weights()) {
            flags.add("--weights " + request.weights().key());
        }
        if (request.settings().resolution() != original.settings().resolution()) {
            flags.add("--resolution " + request.settings().resolution());
        }
        if (request.settings().layers() != original.settings().layers()) {
            flags.add("--layers " + request.settings().layers());
        }
        return String.join(" ", flags);
    }

    /**
     * {@code verdict: fits}, {@code verdict: fits with streaming (... per denoising step ...)} or
     * {@code verdict: does not fit (... the nearest setting that does ...)}.
     */
    public String verdictLine() {
        MemoryPlan.Verdict v = plan.verdict();
        return switch (v) {
            case FITS -> "verdict: fits";
            case FITS_WITH_STREAMING -> "verdict: fits with streaming (" + streamingCost() + ")";
            case DOES_NOT_FIT -> "verdict: does not fit (" + shortfall() + "; " + (suggestion == null
                    ? "no setting of this model fits this memory" : "the nearest setting that does: " + suggestion)
                    + ")";
        };
    }

    private String streamingCost() {
        List<String> parts = new ArrayList<>();
        StagePlan denoise = plan.stage(DecompositionPlanner.DENOISE);
        Placement t = plan.placements().get(DecompositionPlanner.TRANSFORMER);
        if (!t.resident()) {
            long host = denoise.hostMoved() * denoise.passes();
            long file = denoise.fileMoved() * denoise.passes();
            double seconds = host / DecompositionPlanner.BUS_BYTES_PER_SECOND
                    + file / DecompositionPlanner.DISK_BYTES_PER_SECOND
                    + (machine.cuda() ? file / DecompositionPlanner.BUS_BYTES_PER_SECOND : 0);
            parts.add(String.format(Locale.ROOT, "transformer: %d of %d groups streamed, %s per denoising step, "
                    + "about %.2f s per step at %s", t.hostGroups() + t.fileGroups(), groups(t), gb(host + file),
                    seconds, rates(host, file)));
        }
        for (String c : List.of(DecompositionPlanner.CAPTIONER, DecompositionPlanner.TEXT_ENCODER)) {
            Placement p = plan.placements().get(c);
            StagePlan s = plan.stage(c.equals(DecompositionPlanner.CAPTIONER) ? DecompositionPlanner.CAPTION
                    : DecompositionPlanner.PROMPT);
            if (p != null && s != null && !p.resident()) {
                parts.add(String.format(Locale.ROOT, "%s: %d of %d groups streamed, %s per %s", c,
                        p.hostGroups() + p.fileGroups(), groups(p), gb(s.hostMoved() + s.fileMoved()), s.per()));
            }
        }
        return String.join("; ", parts);
    }

    private static String rates(long host, long file) {
        List<String> r = new ArrayList<>();
        if (host > 0) {
            r.add(String.format(Locale.ROOT, "%.0f GB/s PCIe", DecompositionPlanner.BUS_BYTES_PER_SECOND / 1e9));
        }
        if (file > 0) {
            r.add(String.format(Locale.ROOT, "%.0f GB/s disk", DecompositionPlanner.DISK_BYTES_PER_SECOND / 1e9));
        }
        return String.join(" and ", r);
    }

    private String shortfall() {
        StagePlan worst = null;
        for (StagePlan s : plan.stages()) {
            if (worst == null || s.devicePeak() - plan.budget().deviceBytes() > worst.devicePeak()
                    - plan.budget().deviceBytes()) {
                worst = s;
            }
        }
        return worst.name() + " needs " + gb(worst.devicePeak()) + " of " + (machine.cuda() ? "device" : "host")
                + " memory, " + gb(plan.budget().deviceBytes()) + " usable";
    }

    private static int groups(Placement p) {
        return p.deviceGroups() + p.hostGroups() + p.fileGroups();
    }

    /**
     * One line for a run's log: where the transformer and the text encoder live, and the verdict, e.g.
     * {@code transformer: device-resident (20.46 GB fp8); text encoder released before denoising; verdict: fits}.
     */
    public String summary() {
        List<String> parts = new ArrayList<>();
        parts.add(describe(plan.placements().get(DecompositionPlanner.TRANSFORMER), true));
        if (plan.placements().containsKey(DecompositionPlanner.TEXT_ENCODER)) {
            parts.add(keepTextEncoder ? "text encoder kept" : "text encoder released before denoising");
        }
        parts.add(verdictLine());
        return String.join("; ", parts);
    }

    /** The plan as text: header, one line per stage, the verdict. */
    public List<String> lines() {
        List<String> out = new ArrayList<>();
        DecomposeSettings s = request.settings();
        out.add("model: " + model.source());
        boolean capped = request.vramCap() != null && machine.cuda() && request.vramCap() < machine.deviceFree();
        out.add("device: " + machine.device() + (machine.cuda() ? ", " + gb(machine.deviceFree()) + " free" : "")
                + (capped ? ", capped at " + gb(request.vramCap()) : "") + "; host: "
                + gb(machine.hostAvailable()) + " available");
        out.add(String.format(Locale.ROOT, "run: %dx%d (bucket %d), %d layers, %d steps, %s, %s, weights %s, "
                        + "compute %s", bucket.width(), bucket.height(), s.resolution(), s.layers(), s.steps(),
                !cfg ? "no CFG" : batchedGuidance ? "CFG (both branches as one batch of two per step)"
                        : "CFG (2 transformer passes per step)", request.embeddingsGiven() ? "given embeddings"
                        : model.textEncoder() == null ? "no text encoder (prompt embeddings must be given)"
                        : s.wantsCaption() ? "automatic caption" : "prompt given", request.weights().key(),
                dtype.name().toLowerCase(Locale.ROOT)));
        if (machine.cuda()) {
            out.add(String.format(Locale.ROOT, "usable: %s device, %s host (reserves: %s CUDA context, %.0f %% "
                    + "allocator slack, %s host)", gb(plan.budget().deviceBytes()), gb(plan.budget().hostBytes()),
                    gb(DecompositionPlanner.CUDA_RESERVE), 100 * DecompositionPlanner.CUDA_SLACK,
                    gb(DecompositionPlanner.HOST_RESERVE)));
        } else {
            out.add("usable: " + gb(plan.budget().deviceBytes()) + " of memory (reserve: "
                    + gb(DecompositionPlanner.HOST_RESERVE) + ")");
        }
        for (StagePlan st : plan.stages()) {
            StringBuilder b = new StringBuilder(machine.cuda()
                    ? String.format(Locale.ROOT, "%-16s peak %9s device, %9s host", st.name(), gb(st.devicePeak()),
                    gb(st.hostPeak()))
                    : String.format(Locale.ROOT, "%-16s peak %9s", st.name(), gb(st.devicePeak())));
            long moved = st.hostMoved() + st.fileMoved();
            if (moved > 0) {
                b.append(String.format(Locale.ROOT, ", moves %s per %s", gb(moved * st.passes()), st.per()));
            }
            out.add(b.toString());
            for (String c : st.loaded()) {
                out.add("    " + describe(plan.placements().get(c), st.active().contains(c)));
            }
        }
        out.add("VAE convolutions: " + strips(encodeStripBytes) + " when encoding, " + strips(decodeStripBytes)
                + " when decoding");
        if (!keepTextEncoder && plan.placements().containsKey(DecompositionPlanner.TEXT_ENCODER)) {
            out.add("the text encoder is released after prompt encoding");
        }
        out.add(verdictLine());
        return out;
    }

    private String describe(Placement p, boolean active) {
        String name = p.component().equals(DecompositionPlanner.VAE) ? "VAE" : p.component();
        String format = p.format() == WeightFormat.FP8 ? " fp8" : "";
        String held = machine.cuda() ? "device-resident" : "held in memory";
        if (p.resident()) {
            return name + ": " + held + " (" + gb(p.deviceBytes()) + format + ")" + (active ? "" : ", idle");
        }
        List<String> parts = new ArrayList<>();
        if (p.deviceGroups() > 0) {
            parts.add(p.deviceGroups() + " groups " + held + " (" + gb(p.deviceBytes()) + format + ")");
        }
        if (p.hostGroups() > 0) {
            parts.add(p.hostGroups() + " groups streamed one by one from " + (machine.cuda() ? "pinned " : "")
                    + "host memory (" + gb(p.hostBytes()) + format + ")");
        }
        if (p.fileGroups() > 0) {
            parts.add(p.fileGroups() + " groups streamed from the file (" + gb(p.fileBytes()) + ")");
        }
        return name + ": " + String.join(", ", parts) + (active ? "" : ", idle");
    }

    static String gb(long bytes) {
        return String.format(Locale.ROOT, "%.2f GB", bytes / 1e9);
    }

    /** The plan for {@code manifest.json}. */
    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("device", machine.device());
        o.addProperty("weights", request.weights().key());
        o.addProperty("memory", request.mode().key());
        if (cfg) {
            o.addProperty("guidance", batchedGuidance ? "one batch of two" : "two calls");
        }
        if (request.vramCap() != null) {
            o.addProperty("vram_cap_bytes", request.vramCap());
        }
        o.addProperty("vae_encode", strips(encodeStripBytes));
        o.addProperty("vae_decode", strips(decodeStripBytes));
        o.addProperty("usable_device_bytes", plan.budget().deviceBytes());
        o.addProperty("usable_host_bytes", plan.budget().hostBytes());
        JsonArray stages = new JsonArray();
        for (StagePlan st : plan.stages()) {
            JsonObject j = new JsonObject();
            j.addProperty("stage", st.name());
            j.addProperty("device_peak_bytes", st.devicePeak());
            j.addProperty("host_peak_bytes", plan.budget().unified() ? st.devicePeak() : st.hostPeak());
            j.addProperty("bytes_moved_per_" + st.per(), (st.hostMoved() + st.fileMoved()) * st.passes());
            JsonArray weights = new JsonArray();
            for (String c : st.loaded()) {
                weights.add(describe(plan.placements().get(c), st.active().contains(c)));
            }
            j.add("weights", weights);
            stages.add(j);
        }
        o.add("stages", stages);
        o.addProperty("text_encoder_released", !keepTextEncoder);
        o.addProperty("verdict", verdictLine().substring("verdict: ".length()));
        return o;
    }
}
