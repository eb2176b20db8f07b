package org.layered.cli;

import org.layered.engine.CudaDevice;
import org.layered.engine.CudaDevices;
import org.layered.engine.DeviceSpec;
import org.layered.engine.Precision;
import org.layered.pipeline.DecomposeSettings;
import org.layered.pipeline.DecompositionPlan;
import org.layered.pipeline.DecompositionPlanner;
import org.layered.pipeline.DecompositionPlanner.Machine;
import org.layered.pipeline.DecompositionPlanner.ModelConfigs;
import org.layered.pipeline.MemoryMode;
import org.layered.store.ModelDescriptor;
import org.layered.store.ModelStore;
import org.layered.store.ResolvedModel;
import org.layered.weights.config.ConfigException;
import org.layered.weights.config.ModelIndex;
import org.layered.weights.residency.WeightFormat;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;

/**
 * {@code layered plan}: where a decomposition's weights would live and how much memory each stage would take, on
 * this machine's GPU, a card of a given size or the CPU, before anything is loaded (or downloaded).
 */
final class PlanCommand implements CliCommand {
    private static final long GIB = 1L << 30;

    @Override
    public String name() {
        return "plan";
    }

    @Override
    public String summary() {
        return "predict a decomposition's memory and whether it fits, before loading (or downloading) the model";
    }

    @Override
    public String usage() {
        return """
                usage: layered plan [--model DIR|REPO] [--device cuda[:i]|cpu | --vram-gib G] [--ram-gib G]
                                    [--resolution 640|1024] [--layers N] [--weights bf16|fp8]
                                    [--precision auto|float32|bf16]

                  --model DIR|REPO       a model folder, or a model in the Hugging Face / plugin cache; a model that
                                         is not downloaded is planned from the released configs its descriptor
                                         records (default Qwen/Qwen-Image-Layered)
                  --device D             cuda[:i] (its total and free memory, asked from the NVIDIA driver) or cpu;
                                         default: the first CUDA device, else the CPU
                  --vram-gib G           plan for a card of G GiB (with --device cuda:i: cap the device at G GiB)
                  --ram-gib G            host memory to plan with (default: what the system has available)
                  --resolution 640|1024  working-size bucket (default 640)
                  --layers N             number of layers (default 4)
                  --weights bf16|fp8     the transformer's linear weights as stored (bf16) or as float8 (default
                                         bf16)
                  --precision P          the compute dtype, as decompose's --precision: auto (default: bf16 on a
                                         GPU, float32 on the CPU), float32 or bf16

                Plans a run as 'decompose' makes it by default (50 steps, CFG 4 with the negative prompt " ",
                automatic caption of a square image), stage by stage: caption, prompt encoding, VAE encode,
                denoising, VAE decode. For each: where each component's weights live (device-resident, streamed
                group by group from host memory, streamed from the file), the predicted peak of device and host
                memory, and the bytes a pass moves. The last line is the verdict: 'verdict: fits', 'verdict: fits
                with streaming (... cost ...)' or 'verdict: does not fit (... the nearest setting that does ...)'.
                Nothing is loaded: the sizes come from the components' configs. Exit status 0 whatever the verdict.
                """;
    }

    @Override
    public Set<String> flags() {
        return Set.of("model", "device", "vram-gib", "ram-gib", "resolution", "layers", "weights", "precision");
    }

    @Override
    public int run(CliArgs args, PrintStream out, PrintStream err) throws Exception {
        DecomposeSettings settings;
        WeightFormat weights;
        try {
            settings = DecomposeSettings.defaults()
                    .withResolution(args.integer("resolution", 640, 640, 1024))
                    .withLayers(args.integer("layers", 4, 1, DecomposeSettings.MAX_LAYERS));
            weights = WeightFormat.parse(args.string("weights", "bf16"));
        } catch (IllegalArgumentException e) {
            throw new CliArgs.UsageException(e.getMessage());
        }
        Precision precision = DecomposeCommand.precision(args);
        Long vram = gib(args, "vram-gib");
        Long ram = gib(args, "ram-gib");
        Machine machine = machine(args, vram, ram);
        ModelConfigs model = configs(args.has("model") ? args.required("model")
                : ModelStore.defaults().defaultModel());
        DecompositionPlan plan = DecompositionPlanner.plan(model, DecompositionPlanner.Request.of(settings,
                settings.resolution(), settings.resolution(), false, weights, MemoryMode.AUTO, vram)
                .withPrecision(precision), machine);
        plan.lines().forEach(out::println);
        return 0;
    }

    /** A size in GiB (decimals allowed), as bytes; null when absent. */
    static Long gib(CliArgs args, String flag) throws CliArgs.UsageException {
        if (!args.has(flag)) {
            return null;
        }
        String v = args.required(flag).trim();
        try {
            double g = Double.parseDouble(v);
            if (!(g > 0) || g > 1e6) {
                throw new NumberFormatException();
            }
            return (long) (g * GIB);
        } catch (NumberFormatException e) {
            throw new CliArgs.UsageException("--" + flag + " must be a positive number of GiB, got '" + v + "'");
        }
    }

    private static Machine machine(CliArgs args, Long vram, Long ram) throws CliArgs.UsageException {
        DeviceSpec spec;
        try {
            spec = DeviceSpec.parse(args.string("device", "auto"));
        } catch (IllegalArgumentException e) {
            throw new CliArgs.UsageException(e.getMessage());
        }
        if (spec.kind() == DeviceSpec.Kind.CPU) {
            if (vram != null) {
                throw new CliArgs.UsageException("--vram-gib plans a GPU; it does not go with --device cpu "
                        + "(--ram-gib sizes the host)");
            }
            return new Machine("cpu", false, 0, 0, ram != null ? ram : availableRam());
        }
        if (spec.kind() == DeviceSpec.Kind.AUTO && vram != null) {
            return Machine.card(vram, ram);
        }
        CudaDevices devices = CudaDevices.query(true);
        int index = spec.kind() == DeviceSpec.Kind.CUDA ? spec.index() : 0;
        CudaDevice d = devices.device(index);
        if (d == null) {
            if (spec.kind() == DeviceSpec.Kind.AUTO) {
                return new Machine("cpu (" + devices.problem() + ")", false, 0, 0, ram != null ? ram : availableRam());
            }
            throw new CliArgs.UsageException("device " + spec + ": " + (devices.isEmpty() ? devices.problem()
                    : "the driver sees cuda:0 to cuda:" + (devices.devices().size() - 1)) + "; plan for a card "
                    + "you do not have with --vram-gib G");
        }
        return Machine.of(d, ram);
    }

    private static long availableRam() {
        return org.layered.weights.residency.ResidencyPolicy.availableRam();
    }

    /**
     * The configs of a model folder, or of a model found in the caches; else the released ones the descriptor
     * records.
     */
    static ModelConfigs configs(String ref) throws IOException, CliArgs.UsageException {
        Path folder = Path.of(ref);
        if (!Files.isDirectory(folder)) {
            ModelStore store = ModelStore.defaults();
            Optional<ResolvedModel> found = store.find(ref);
            if (found.isPresent()) {
                folder = found.get().root();
            } else {
                ModelDescriptor d = store.descriptor(ref).orElseThrow(() -> new CliArgs.UsageException("model '"
                        + ref + "' is neither a folder nor a downloaded model, and no descriptor in models/ "
                        + "records its configs (known: " + String.join(", ", store.descriptors().stream()
                        .map(ModelDescriptor::repo).toList()) + ")"));
                return ModelConfigs.of(config(d, "transformer"), config(d, "vae"), config(d, "text_encoder"),
                        d.repo() + " (not downloaded: the released configs its descriptor records)");
            }
        }
        try {
            return ModelConfigs.of(ModelIndex.read(folder));
        } catch (ConfigException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    private static com.google.gson.JsonObject config(ModelDescriptor d, String component) throws IOException {
        return d.component(component).map(ModelDescriptor.Component::config).orElseThrow(() -> new IOException(
                d.source() + ": the descriptor records no config for " + component));
    }
}
