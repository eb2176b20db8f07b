package org.layered.testing;

import org.layered.engine.DType;
import org.layered.weights.safetensors.SafetensorsFile;
import org.layered.weights.safetensors.SafetensorsWriter;
import org.layered.weights.safetensors.TensorInfo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * Builds a tiny random Qwen-Image-Layered model folder in diffusers layout (model_index.json, scheduler/, vae/,
 * transformer/) for end-to-end tests. Tensor names and shapes follow the tiny golden configs (the upstream key
 * layout); the values are drawn here: N(0,1)/sqrt(fan_in) for weights, small biases, norm scales near 1. Stored as
 * BF16, like the released checkpoint.
 */
public final class TinyModel {
    public static final Path GOLDEN = Path.of("src/test/resources/golden");
    /** Text embedding width of the tiny transformer (joint_attention_dim). */
    public static final int TEXT_DIM = 48;

    private TinyModel() {}

    public static Path build(Path dir, long seed) throws IOException {
        Random random = new Random(seed);
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("model_index.json"), """
                {"_class_name": "QwenImageLayeredPipeline", "_diffusers_version": "0.40.0.dev0",
                 "scheduler": ["diffusers", "FlowMatchEulerDiscreteScheduler"],
                 "vae": ["diffusers", "AutoencoderKLQwenImage"],
                 "transformer": ["diffusers", "QwenImageTransformer2DModel"],
                 "text_encoder": ["transformers", "Qwen2_5_VLForConditionalGeneration"],
                 "tokenizer": ["transformers", "Qwen2Tokenizer"],
                 "processor": ["transformers", "Qwen2VLProcessor"]}
                """);
        Path sched = Files.createDirectories(dir.resolve("scheduler"));
        Files.copy(GOLDEN.resolve("scheduler/scheduler_config.json"), sched.resolve("scheduler_config.json"));
        for (String component : new String[] {"vae", "transformer"}) {
            Path c = Files.createDirectories(dir.resolve(component));
            Files.copy(GOLDEN.resolve(component).resolve("config.json"), c.resolve("config.json"));
            randomWeights(GOLDEN.resolve(component).resolve("diffusion_pytorch_model.safetensors"),
                    c.resolve("diffusion_pytorch_model.safetensors"), random);
        }
        return dir;
    }

    private static void randomWeights(Path layout, Path out, Random random) throws IOException {
        SafetensorsWriter w = new SafetensorsWriter();
        try (SafetensorsFile f = SafetensorsFile.open(layout)) {
            for (TensorInfo t : f.tensors()) {
                long[] shape = t.shape();
                float[] v = new float[Math.toIntExact(t.numel())];
                String name = t.name();
                boolean normScale = name.endsWith("gamma") || (name.contains("norm") && shape.length == 1);
                boolean bias = name.endsWith("bias") || name.endsWith(".beta");
                long fanIn = 1;
                for (int i = 1; i < shape.length; i++) {
                    fanIn *= shape[i];
                }
                double std = 1.0 / Math.sqrt(Math.max(1, fanIn));
                for (int i = 0; i < v.length; i++) {
                    double g = random.nextGaussian();
                    v[i] = (float) (normScale ? 1 + 0.1 * g : bias ? 0.02 * g : std * g);
                }
                w.putFloats(name, DType.BF16, shape, v);
            }
        }
        w.write(out);
    }

    /** A synthetic RGBA test image ({@link org.layered.image.TestPattern}). */
    public static org.layered.image.RgbaImage image(int width, int height) {
        return org.layered.image.TestPattern.rgba(width, height);
    }
}
