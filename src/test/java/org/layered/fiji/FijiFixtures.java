package org.layered.fiji;

import ij.ImagePlus;
import ij.process.ColorProcessor;
import net.imglib2.img.Img;
import net.imglib2.img.array.ArrayImgs;
import net.imglib2.type.numeric.integer.UnsignedByteType;
import org.layered.image.RgbaImage;
import org.layered.image.LanczosResize;
import org.layered.layers.LayerStack;
import org.layered.engine.Cancellation;
import org.layered.pipeline.DecomposeSettings;
import org.layered.pipeline.Decomposition;
import org.layered.pipeline.ProgressListener;
import org.layered.pipeline.ResolutionBucket;
import org.layered.testing.TinyModel;
import org.layered.weights.safetensors.SafetensorsWriter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Shared test material: one tiny model and one prompt-embeddings file per test JVM (built once, deleted at exit),
 * ImageJ test images, and a {@link Decomposer} that skips the network (for the fast front-end tests).
 */
public final class FijiFixtures {
    private static Path root;
    private static Path model;
    private static Path inputs;

    private FijiFixtures() {}

    /** The tiny random model (diffusers layout, no text encoder), built on first use. */
    public static synchronized Path model() {
        if (model == null) {
            try {
                model = TinyModel.build(root().resolve("tiny-model"), 11);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return model;
    }

    /** A safetensors file with {@code prompt_embeds} for the tiny model (it has no text encoder). */
    public static synchronized Path inputs() {
        if (inputs == null) {
            try {
                Random r = new Random(3);
                float[] pos = new float[4 * TinyModel.TEXT_DIM];
                for (int i = 0; i < pos.length; i++) {
                    pos[i] = (float) r.nextGaussian();
                }
                inputs = root().resolve("prompt-embeds.safetensors");
                new SafetensorsWriter().putFloats("prompt_embeds", new long[] {1, 4, TinyModel.TEXT_DIM}, pos)
                        .write(inputs);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return inputs;
    }

    /** Code run inside a Fiji installation (may throw). */
    @FunctionalInterface
    public interface InFiji {
        void run(Path fiji) throws Exception;
    }

    /**
     * Runs {@code body} as if inside a Fiji installation at {@code at} (a folder with {@code plugins/} and
     * {@code jars/}, named by the {@code fiji.dir} property as Fiji's launcher does), then restores the property.
     */
    public static void insideFiji(Path at, InFiji body) throws Exception {
        Files.createDirectories(at.resolve("plugins"));
        Files.createDirectories(at.resolve("jars"));
        String saved = System.getProperty("fiji.dir");
        System.setProperty("fiji.dir", at.toString());
        try {
            body.run(at);
        } finally {
            if (saved == null) {
                System.clearProperty("fiji.dir");
            } else {
                System.setProperty("fiji.dir", saved);
            }
        }
    }

    /** An RGBA picture as an ImgLib2 image X, Y, C = 4 of unsigned bytes (what scripts pass). */
    public static Img<UnsignedByteType> xyc(RgbaImage image) {
        Img<UnsignedByteType> img = ArrayImgs.unsignedBytes(image.width(), image.height(), 4);
        var ra = img.randomAccess();
        for (int y = 0; y < image.height(); y++) {
            for (int x = 0; x < image.width(); x++) {
                for (int c = 0; c < 4; c++) {
                    ra.setPositionAndGet(x, y, c).set(image.get(x, y, c));
                }
            }
        }
        return img;
    }

    /** The options every real run of the tests uses: cheap (no CFG, one step). */
    public static String cheapOptions(int layers) {
        return "model=[" + model() + "] inputs=[" + inputs() + "] layers=" + layers
                + " steps=1 cfg=1 device=cpu seed=5";
    }

    private static synchronized Path root() throws IOException {
        if (root == null) {
            root = Files.createTempDirectory("layered-fiji-test");
            Path r = root;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(r)));
        }
        return root;
    }

    public static void deleteTree(Path p) {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(p)) {
            for (Path q : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(q);
            }
        } catch (IOException ignored) {
            // best effort
        }
    }

    /** An RGB ImagePlus of {@link TinyModel#image}. */
    public static ImagePlus rgb(String title, int w, int h) {
        RgbaImage img = TinyModel.image(w, h);
        int[] px = new int[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                px[y * w + x] = img.get(x, y, 0) << 16 | img.get(x, y, 1) << 8 | img.get(x, y, 2);
            }
        }
        return new ImagePlus(title, new ColorProcessor(w, h, px));
    }

    /**
     * A decomposer without the network: the input resized to the bucket as the opaque bottom layer, and above it
     * layers that are transparent except for a band each. Runs the real bucket and compositing code.
     */
    public static class FakeDecomposer implements Decomposer {
        public int calls;
        public DecomposeException failWith;
        /** Makes the top layer fully transparent (a layer an automatic count drops). */
        public boolean emptyTopLayer;
        public List<DecomposeSettings> seen = new ArrayList<>();

        @Override
        public Run decompose(RgbaImage image, DecomposeOptions options, DecomposeSettings settings,
                ProgressListener progress, Cancellation cancel) throws DecomposeException {
            calls++;
            seen.add(settings);
            if (failWith != null) {
                throw failWith;
            }
            cancel.check();
            progress.stage("denoise");
            ResolutionBucket b;
            try {
                b = ResolutionBucket.forImage(settings.resolution(), image.width(), image.height());
            } catch (IllegalArgumentException e) {
                throw new DecomposeException(e.getMessage(), e);
            }
            RgbaImage resized = LanczosResize.resize(image, b.width(), b.height());
            progress.step(1, 1);
            cancel.check();
            List<RgbaImage> layers = new ArrayList<>();
            byte[] bottom = resized.rgba();
            for (int i = 3; i < bottom.length; i += 4) {
                bottom[i] = (byte) 255;
            }
            layers.add(new RgbaImage(b.width(), b.height(), bottom));
            for (int k = 1; k < settings.layers(); k++) {
                byte[] px = new byte[b.width() * b.height() * 4];
                if (emptyTopLayer && k == settings.layers() - 1) {
                    layers.add(new RgbaImage(b.width(), b.height(), px));
                    continue;
                }
                for (int y = k * 10; y < Math.min(b.height(), k * 10 + 20); y++) {
                    for (int x = 5; x < b.width() - 5; x++) {
                        int i = 4 * (y * b.width() + x);
                        px[i] = (byte) (40 * k);
                        px[i + 3] = (byte) 200;
                    }
                }
                layers.add(new RgbaImage(b.width(), b.height(), px));
            }
            long seed = settings.seed() != null ? settings.seed() : 987654321L;
            Decomposition d = new Decomposition(LayerStack.of(layers, resized), resized, b, settings.withSeed(seed),
                    settings.prompt() == null ? "" : settings.prompt(), false, settings.cfgScale() > 1,
                    Map.of("denoise", 0.01, "decode layers", 0.02));
            return new Run(d, Path.of("/fake/model"), "fake model", "cpu", "FLOAT32");
        }
    }
}
