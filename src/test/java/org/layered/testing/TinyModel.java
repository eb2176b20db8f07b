package org.layered.testing;

import org.layered.engine.DType;
import org.layered.weights.safetensors.SafetensorsFile;
import org.layered.weights.safetensors.SafetensorsWriter;
import org.layered.weights.safetensors.TensorInfo;
import org.layered.weights.safetensors.TensorValues;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
        return build(dir, seed, DType.BF16);
    }

    /** The same with the weights stored as {@code storage} (BF16 like the release, or F32). */
    public static Path build(Path dir, long seed, DType storage) throws IOException {
        Random random = new Random(seed);
        writeModelIndex(Files.createDirectories(dir));
        Path sched = Files.createDirectories(dir.resolve("scheduler"));
        Files.copy(GOLDEN.resolve("scheduler/scheduler_config.json"), sched.resolve("scheduler_config.json"));
        for (String component : new String[] {"vae", "transformer"}) {
            Path c = Files.createDirectories(dir.resolve(component));
            Files.copy(GOLDEN.resolve(component).resolve("config.json"), c.resolve("config.json"));
            randomWeights(GOLDEN.resolve(component).resolve("diffusion_pytorch_model.safetensors"),
                    c.resolve("diffusion_pytorch_model.safetensors"), random, storage);
        }
        return dir;
    }

    /**
     * The golden model: the upstream-initialised tiny VAE and transformer of {@code golden/} (the weights the
     * goldens were computed with) and the released scheduler config, in diffusers layout, without text encoder.
     */
    public static Path golden(Path dir) throws IOException {
        for (String c : new String[] {"vae", "transformer"}) {
            Path d = Files.createDirectories(dir.resolve(c));
            Files.copy(GOLDEN.resolve(c).resolve("config.json"), d.resolve("config.json"));
            Files.copy(GOLDEN.resolve(c).resolve("diffusion_pytorch_model.safetensors"),
                    d.resolve("diffusion_pytorch_model.safetensors"));
        }
        Path s = Files.createDirectories(dir.resolve("scheduler"));
        Files.copy(GOLDEN.resolve("scheduler/scheduler_config.json"), s.resolve("scheduler_config.json"));
        writeModelIndex(dir);
        return dir;
    }

    private static void randomWeights(Path layout, Path out, Random random, DType storage) throws IOException {
        randomWeights(layout, out, random, storage, name -> true);
    }

    /**
     * Writes random weights with the tensor names and shapes of {@code layout} (those {@code include} accepts) to
     * {@code out}: N(0,1)/sqrt(fan_in) for weights, small biases, norm scales near 1.
     */
    public static void randomWeights(Path layout, Path out, Random random, DType storage,
            java.util.function.Predicate<String> include) throws IOException {
        SafetensorsWriter w = new SafetensorsWriter();
        try (SafetensorsFile f = SafetensorsFile.open(layout)) {
            for (TensorInfo t : f.tensors()) {
                if (!include.test(t.name())) {
                    continue;
                }
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
                w.putFloats(name, storage, shape, v);
            }
        }
        w.write(out);
    }

    /**
     * Writes the released model's {@code model_index.json} (every component declared; folders that are absent are
     * simply not there, as in a partial download) into {@code dir}.
     */
    public static void writeModelIndex(Path dir) throws IOException {
        Files.writeString(dir.resolve("model_index.json"), MODEL_INDEX);
    }

    /** The released model's model_index.json. */
    public static final String MODEL_INDEX = """
            {"_class_name": "QwenImageLayeredPipeline", "_diffusers_version": "0.36.0",
             "scheduler": ["diffusers", "FlowMatchEulerDiscreteScheduler"],
             "vae": ["diffusers", "AutoencoderKLQwenImage"],
             "transformer": ["diffusers", "QwenImageTransformer2DModel"],
             "text_encoder": ["transformers", "Qwen2_5_VLForConditionalGeneration"],
             "tokenizer": ["transformers", "Qwen2Tokenizer"],
             "processor": ["transformers", "Qwen2VLProcessor"]}
            """;

    /** The weights file of a component of a model built here, e.g. {@code weights(model, "transformer")}. */
    public static Path weights(Path model, String component) {
        return model.resolve(component).resolve("diffusion_pytorch_model.safetensors");
    }

    /**
     * Overwrites element {@code index} of tensor {@code name} in a safetensors file in place (a damaged weight, e.g.
     * NaN or infinity), in the tensor's stored dtype (BF16, F16 or F32).
     */
    public static void setValue(Path file, String name, long index, float value) throws IOException {
        long pos;
        DType dtype;
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            TensorInfo t = f.info(name);
            dtype = t.dtype();
            pos = f.dataOffset() + t.begin() + index * dtype.bytes();
        }
        ByteBuffer b = ByteBuffer.allocate(dtype.bytes()).order(ByteOrder.LITTLE_ENDIAN);
        switch (dtype) {
            case BF16 -> b.putShort(TensorValues.floatToBf16(value));
            case F16 -> b.putShort(TensorValues.floatToHalf(value));
            case F32 -> b.putFloat(value);
            default -> throw new IllegalArgumentException(name + " is " + dtype + ", not a float type");
        }
        b.flip();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            while (b.hasRemaining()) {
                ch.write(b, pos + b.position());
            }
        }
    }

    /** A synthetic RGBA test image ({@link org.layered.image.TestPattern}). */
    public static org.layered.image.RgbaImage image(int width, int height) {
        return org.layered.image.TestPattern.rgba(width, height);
    }
}
