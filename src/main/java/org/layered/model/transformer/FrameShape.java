package org.layered.model.transformer;

import java.util.ArrayList;
import java.util.List;

/**
 * One entry of upstream's {@code img_shapes} list: a block of {@code frames * height * width} image tokens on a
 * {@code height x width} token grid (latent size / patch size). In the Layered layout every entry has one frame.
 */
public record FrameShape(int frames, int height, int width) {
    public FrameShape {
        if (frames < 1 || height < 1 || width < 1) {
            throw new IllegalArgumentException("frame shape needs positive sizes, got (" + frames + ", " + height
                    + ", " + width + ")");
        }
    }

    /** Number of tokens of this entry. */
    public int tokens() {
        return frames * height * width;
    }

    /**
     * The Layered pipeline's layout for {@code layers} output layers on an {@code h x w} token grid: {@code layers+1}
     * noisy frames (composite, then the layers) followed by the condition frame, all {@code (1, h, w)}.
     */
    public static List<FrameShape> layered(int layers, int h, int w) {
        if (layers < 0) {
            throw new IllegalArgumentException("layers must be >= 0, got " + layers);
        }
        List<FrameShape> out = new ArrayList<>(layers + 2);
        for (int i = 0; i < layers + 2; i++) {
            out.add(new FrameShape(1, h, w));
        }
        return List.copyOf(out);
    }

    /** Total tokens of a frame list. */
    public static int tokens(List<FrameShape> shapes) {
        int n = 0;
        for (FrameShape s : shapes) {
            n = Math.addExact(n, s.tokens());
        }
        return n;
    }
}
