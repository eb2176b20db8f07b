package org.layered.cli;

import org.layered.engine.ComputeDevice;
import org.layered.engine.DeviceSpec;
import org.layered.engine.TorchEngine;
import org.layered.image.RgbaImage;
import org.layered.model.text.CaptionProgress;
import org.layered.model.text.GenerationConfig;
import org.layered.model.text.ImageCaptioner;
import org.layered.engine.Cancellation;
import org.layered.pipeline.ResolutionBucket;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;

/**
 * {@code layered caption}: the caption {@code decompose} conditions on when no prompt is given (the bucket-resized
 * image described by Qwen2.5-VL), printed on stdout.
 */
final class CaptionCommand implements CliCommand {
    @Override
    public String name() {
        return "caption";
    }

    @Override
    public String summary() {
        return "describe an image with Qwen2.5-VL, as decompose does without --prompt";
    }

    @Override
    public String usage() {
        return """
                usage: layered caption --model DIR --image IN.png [options]

                  --model DIR              diffusers model folder (text_encoder/, tokenizer/, processor/), or one
                                           Qwen2.5-VL folder with config, weights, tokenizer and preprocessor config
                  --image IN.png           image to describe (as for decompose; alpha is ignored by the captioner)
                  --frame K                frame (page) K of a multi-frame GIF or TIFF (default 1)
                  --max-new-tokens N       generation limit (default 512, as the pipeline)
                  --chinese B              true|false: use the Chinese caption instruction (default false: English,
                                           as the official README and app)
                  --resolution 640|1024    working-size bucket the image is resized to first, as decompose does
                                           (default 640)
                  --device D               auto|cpu|cuda[:i] (default auto)

                Prints the caption on stdout; progress goes to stderr. Ctrl-C stops between tokens (exit 130); a
                second Ctrl-C quits at once.
                """;
    }

    @Override
    public Set<String> flags() {
        return Set.of("model", "image", "max-new-tokens", "chinese", "resolution", "device", "frame");
    }

    @Override
    public int run(CliArgs args, PrintStream out, PrintStream err) throws Exception {
        Path model = args.path("model");
        Path imageFile = args.path("image");
        int maxNewTokens = args.integer("max-new-tokens", GenerationConfig.CAPTION_MAX_NEW_TOKENS, 1, 32768);
        String chinese = args.string("chinese", "false").trim().toLowerCase(Locale.ROOT);
        if (!chinese.equals("true") && !chinese.equals("false")) {
            throw new CliArgs.UsageException("--chinese must be true or false, got '" + chinese + "'");
        }
        int resolution = args.integer("resolution", 640, 640, 1024);
        if (resolution != 640 && resolution != 1024) {
            throw new CliArgs.UsageException("--resolution must be 640 or 1024, got " + resolution);
        }
        DeviceSpec spec;
        try {
            spec = DeviceSpec.parse(args.string("device", "auto"));
        } catch (IllegalArgumentException e) {
            throw new CliArgs.UsageException(e.getMessage());
        }
        int frame = args.integer("frame", 1, 1, Integer.MAX_VALUE);
        Cancellation cancel = new Cancellation();
        try (CtrlC ctrlC = CtrlC.install(cancel, err, name())) {
            RgbaImage image = DecomposeCommand.readImage(imageFile, frame, err).image();
            ResolutionBucket bucket = ResolutionBucket.forImage(resolution, image.width(), image.height());
            RgbaImage resized = bucket.fit(image);
            ComputeDevice device = TorchEngine.get().resolve(spec);
            cancel.check();
            return caption(model, device, imageFile, image, resized, chinese.equals("false"), maxNewTokens, out,
                    err, cancel);
        } catch (Cancellation.CancelledException e) {
            err.println("layered caption: cancelled");
            return 130;
        }
    }

    private static int caption(Path model, ComputeDevice device, Path imageFile, RgbaImage image, RgbaImage resized,
            boolean english, int maxNewTokens, PrintStream out, PrintStream err, Cancellation cancel)
            throws IOException {
        try (ImageCaptioner captioner = ImageCaptioner.open(model, ImageCaptioner.Options.defaults(device)
                .withProgressInterval(16))) {
            err.printf(Locale.ROOT, "[layered] captioning %s (%dx%d, resized to %dx%d) on %s, %s%n", imageFile,
                    image.width(), image.height(), resized.width(), resized.height(), device,
                    captioner.generationConfig());
            String caption = captioner.caption(resized, english, maxNewTokens, new StderrProgress(err), cancel);
            out.println(caption);
            return 0;
        }
    }

    /** Stages and token batches on stderr. */
    private static final class StderrProgress implements CaptionProgress {
        private final PrintStream err;
        private final long start = System.nanoTime();

        StderrProgress(PrintStream err) {
            this.err = err;
        }

        @Override
        public void stage(String name) {
            err.println("[layered] " + name);
        }

        @Override
        public void tokens(int generated, int maxNewTokens, String partialCaption) {
            double s = (System.nanoTime() - start) / 1e9;
            err.printf(Locale.ROOT, "[layered] %d tokens (%.1f s)%n", generated, s);
        }
    }
}
