package org.layered.model.vae;

import org.layered.engine.DType;
import org.layered.weights.residency.ActivationLedger;
import org.layered.weights.residency.ActivationLedger.Buf;

import java.util.Map;
import java.util.function.LongFunction;

/**
 * The tensor memory of {@link RgbaVae#encodeNormalized} and {@link RgbaVae#decodeNormalized}, replayed on an
 * {@link ActivationLedger} from the shapes alone, one frame at a time as the VAE runs them: every feature map the
 * blocks allocate (norm, SiLU, convolution, shortcut, upsampled map), freed where the code frees it, and the row
 * strips that bound the full-resolution stages ({@link RowStrips}: strips of whole rows within the strip budget,
 * each kept with its halo until the strips are joined), and the workspace each 3x3 convolution needs while it
 * runs ({@link #CONVOLUTION_WORKSPACE}; {@link #tensorsOnly()} leaves it out). Kept in step with the blocks' code;
 * the planner's tests compare its peaks with the engine's measured ones. Float32 on the CPU, the compute dtype on a
 * GPU (the CPU's float32 detour of reduced-precision convolutions is not modelled: the CPU runs float32).
 */
public final class VaeMemory {
    /**
     * Bytes a 3x3 convolution allocates beyond its output while it runs (oneDNN's scratchpad on the CPU), which the
     * engine's tensor accounting does not see. Measured with {@code VaeBench} (released width, float32, channels-last,
     * whole frames and strips of 64 and 16 MiB, 640 and 1024 px): the step's peak RSS exceeds these tensors by at
     * most 12 MiB, whatever the size of the convolution's input; 16 MiB bounds it.
     */
    public static final long CONVOLUTION_WORKSPACE = 16L << 20;

    private final VaeConfig config;
    private final DType dtype;
    private final long stripBytes;
    private final long workspace;
    private long largestConvolutionInput;

    /**
     * @param stripBytes the VAE's strip budget ({@link RgbaVae#DEFAULT_STRIP_BYTES} unless changed,
     *                   {@code Long.MAX_VALUE} for whole frames)
     */
    public VaeMemory(VaeConfig config, DType dtype, long stripBytes) {
        this(config, dtype, stripBytes, CONVOLUTION_WORKSPACE);
    }

    private VaeMemory(VaeConfig config, DType dtype, long stripBytes, long workspace) {
        this.config = config;
        this.dtype = dtype;
        this.stripBytes = stripBytes;
        this.workspace = workspace;
    }

    /** The same model without the convolutions' workspace: the tensors the engine allocates, nothing else. */
    public VaeMemory tensorsOnly() {
        return new VaeMemory(config, dtype, stripBytes, 0);
    }

    /** Bytes of the largest 3x3 convolution input (one strip of it when striped) of the last replay. */
    public long largestConvolutionInput() {
        return largestConvolutionInput;
    }

    /**
     * Elements of the weights {@link RgbaVae} holds: every tensor of the layout except the {@code time_conv} kernels
     * the single-frame path never reads, and of each causal 3x3x3 kernel only its last temporal slice.
     */
    public static long heldElements(VaeConfig config) {
        long n = 0;
        for (Map.Entry<String, long[]> e : VaeLayout.parameterShapes(config).entrySet()) {
            long[] shape = e.getValue();
            if (e.getKey().contains(".time_conv.")) {
                continue;
            }
            long elements = 1;
            for (long d : shape) {
                elements *= d;
            }
            n += shape.length == 5 ? elements / shape[2] : elements;
        }
        return n;
    }

    /**
     * {@code encodeNormalized} of one (1, C_in, 1, H, W) image: leaves the normalised latents (1, z, 1, H/8, W/8) in
     * the ledger's current scope.
     *
     * @param converted whether the image must first be converted to the compute dtype (a copy for the encode)
     */
    public Buf encode(ActivationLedger l, long height, long width, boolean converted) {
        int[] dims = config.encoderDims();
        int[] mult = config.dimMult();
        l.open(); // encodeNormalized
        l.open(); // encodeMode
        l.open(); // encodeMoments
        if (converted) {
            l.alloc(dtype, config.inputChannels(), height, width);
        }
        l.open(); // one frame
        l.open(); // VaeEncoder.forward
        long h = height;
        long w = width;
        largestConvolutionInput = 0;
        Buf frame = l.alloc(dtype, config.inputChannels(), h, w); // the frame laid out channels-last
        Buf x = conv(l, frame, dims[0], h, w); // conv_in
        double scale = 1.0;
        for (int i = 0; i < mult.length; i++) {
            int in = dims[i];
            int out = dims[i + 1];
            for (int r = 0; r < config.numResBlocks(); r++) {
                x = replace(l, x, residual(l, in, out, h, w));
                for (double a : config.attnScales()) {
                    if (a == scale) {
                        x = replace(l, x, attention(l, out, h, w));
                        break;
                    }
                }
                in = out;
            }
            if (i != mult.length - 1) {
                long h2 = (h - 2) / 2 + 1;
                long w2 = (w - 2) / 2 + 1;
                l.open(); // pad, then stride-2 convolution
                Buf padded = l.alloc(dtype, out, h + 1, w + 1);
                Buf y = l.keep(conv(l, padded, out, h2, w2));
                l.free(padded);
                l.close();
                x = replace(l, x, y);
                h = h2;
                w = w2;
                scale /= 2.0;
            }
        }
        int top = dims[dims.length - 1];
        x = replace(l, x, mid(l, top, h, w));
        x = replace(l, x, normActConvStrips(l, top, 2 * config.zDim(), h, w));
        l.alloc(dtype, 2 * config.zDim(), h, w); // quant_conv, channels-last
        l.free(x);
        Buf q = l.keep(l.alloc(dtype, 2 * config.zDim(), h, w)); // its standard-layout copy
        l.close();
        l.keep(q); // the frame's moments
        l.close();
        l.keep(q);
        l.close();
        l.keep(l.alloc(dtype, config.zDim(), h, w)); // the mean, copied out
        l.close();
        l.open(); // normalize: minus mean, over std
        l.alloc(dtype, config.zDim(), h, w);
        Buf z = l.keep(l.alloc(dtype, config.zDim(), h, w));
        l.close();
        l.keep(z);
        l.close();
        return z;
    }

    /**
     * {@code decodeNormalized} of {@code frames} normalised latents (frames, z, 1, h, w) in the compute dtype: leaves
     * the clamped images (frames, C_in, 1, 8h, 8w) in the ledger's current scope.
     */
    public Buf decode(ActivationLedger l, long frames, long latentHeight, long latentWidth) {
        int z = config.zDim();
        l.open(); // decodeNormalized
        l.open(); // denormalize
        l.alloc(dtype, frames, z, latentHeight, latentWidth);
        Buf raw = l.keep(l.alloc(dtype, frames, z, latentHeight, latentWidth));
        l.close();
        l.open(); // decode
        long height = latentHeight * config.spatialCompression();
        long width = latentWidth * config.spatialCompression();
        Buf[] parts = new Buf[(int) frames];
        for (int f = 0; f < frames; f++) {
            l.open();
            Buf image = decodeFrame(l, latentHeight, latentWidth);
            parts[f] = l.keep(l.alloc(dtype, config.inputChannels(), height, width)); // clamped
            l.free(image);
            l.close();
        }
        Buf out = frames == 1 ? parts[0] : l.alloc(dtype, frames, config.inputChannels(), height, width);
        l.keep(out);
        l.close();
        l.free(raw);
        l.keep(out);
        l.close();
        return out;
    }

    /** VaeDecoder.forward of one frame: the decoded map before the clamp. */
    private Buf decodeFrame(ActivationLedger l, long h, long w) {
        int[] dims = config.decoderDims();
        int stages = config.dimMult().length;
        l.open();
        largestConvolutionInput = 0;
        l.alloc(dtype, config.zDim(), h, w); // the latents laid out channels-last
        Buf p = l.alloc(dtype, config.zDim(), h, w); // post_quant_conv
        Buf x = conv(l, p, dims[0], h, w); // conv_in
        l.free(p);
        x = replace(l, x, mid(l, dims[0], h, w));
        int out = dims[0];
        for (int i = 0; i < stages; i++) {
            int in = i > 0 ? dims[i] / 2 : dims[i];
            out = dims[i + 1];
            for (int r = 0; r < config.numResBlocks() + 1; r++) {
                x = replace(l, x, residual(l, r == 0 ? in : out, out, h, w));
            }
            if (i != stages - 1) {
                x = replace(l, x, upsample(l, out, h, w));
                h *= 2;
                w *= 2;
            }
        }
        normActConvStrips(l, out, config.inputChannels(), h, w); // channels-last
        l.free(x);
        Buf o = l.keep(l.alloc(dtype, config.inputChannels(), h, w)); // its standard-layout copy
        l.close();
        return o;
    }

    /**
     * A 3x3 convolution's output ({@code out} x {@code rows} x {@code w}) from {@code input}, with the workspace
     * ({@link #CONVOLUTION_WORKSPACE}) live while it runs.
     */
    private Buf conv(ActivationLedger l, Buf input, int out, long rows, long w) {
        largestConvolutionInput = Math.max(largestConvolutionInput, input.bytes());
        Buf scratch = l.alloc(workspace);
        Buf y = l.alloc(dtype, out, rows, w);
        l.free(scratch);
        return y;
    }

    /** Frees {@code old} once {@code next} exists (the blocks' {@code h.close(); h = next}). */
    private static Buf replace(ActivationLedger l, Buf old, Buf next) {
        l.free(old);
        return next;
    }

    /** ResidualBlock.forward. */
    private Buf residual(ActivationLedger l, int in, int out, long h, long w) {
        l.open();
        if (in != out) {
            l.alloc(dtype, out, h, w); // 1x1 shortcut
        }
        Buf y = strips(l, h, rowBytes(Math.max(in, out), w), rows -> normActConv(l, in, out, rows, w));
        Buf z = strips(l, h, rowBytes(out, w), rows -> {
            l.open();
            normActConv(l, out, out, rows, w);
            Buf sum = l.keep(l.alloc(dtype, out, rows, w)); // plus the shortcut's rows
            l.close();
            return sum;
        });
        l.free(y);
        l.keep(z);
        l.close();
        return z;
    }

    /** ResidualBlock.rowBytes: the strip estimate, float32 work tensors of the wider side. */
    private static long rowBytes(int channels, long w) {
        return channels * w * 4L;
    }

    /** {@code conv(silu(norm(x)))} on {@code rows} rows, freeing the two temporaries as soon as consumed. */
    private Buf normActConv(ActivationLedger l, int in, int out, long rows, long w) {
        l.open();
        Buf n = channelNorm(l, in, rows, w);
        Buf a = l.alloc(dtype, in, rows, w); // SiLU
        l.free(n);
        Buf c = l.keep(conv(l, a, out, rows, w));
        l.free(a);
        l.close();
        return c;
    }

    private Buf normActConvStrips(ActivationLedger l, int in, int out, long h, long w) {
        return strips(l, h, rowBytes(in, w), rows -> normActConv(l, in, out, rows, w));
    }

    /** ChannelRmsNorm.forward: L2-normalised over channels (in float32 for reduced dtypes), times the gains. */
    private Buf channelNorm(ActivationLedger l, int c, long rows, long w) {
        l.open();
        if (dtype == DType.F32 || dtype == DType.F64) {
            l.alloc(dtype, c, rows, w);
        } else {
            Buf wide = l.alloc(DType.F32, c, rows, w);
            Buf normed = l.alloc(DType.F32, c, rows, w);
            l.free(wide);
            l.alloc(dtype, c, rows, w);
            l.free(normed);
        }
        Buf out = l.keep(l.alloc(dtype, c, rows, w));
        l.close();
        return out;
    }

    /** The single-head mid-block attention over h x w tokens. */
    private Buf attention(ActivationLedger l, int c, long h, long w) {
        l.open();
        l.open();
        channelNorm(l, c, h, w);
        Buf qkv = l.keep(l.alloc(dtype, 3L * c, h, w));
        l.close();
        l.open();
        Buf o = l.keep(l.alloc(dtype, c, h, w));
        l.close();
        l.free(qkv);
        l.alloc(dtype, c, h, w); // projection
        l.free(o);
        Buf out = l.keep(l.alloc(dtype, c, h, w));
        l.close();
        return out;
    }

    private Buf mid(ActivationLedger l, int c, long h, long w) {
        l.open();
        Buf a = residual(l, c, c, h, w);
        Buf b = attention(l, c, h, w);
        l.free(a);
        Buf out = l.keep(residual(l, c, c, h, w));
        l.free(b);
        l.close();
        return out;
    }

    /** Resample up: nearest x2 and a 3x3 convolution halving the channels, in strips of input rows. */
    private Buf upsample(ActivationLedger l, int c, long h, long w) {
        long bytesPerRow = c * 2L * w * 2 * 4;
        return strips(l, h, bytesPerRow, rows -> {
            l.open();
            Buf up = l.alloc(dtype, c, 2 * rows, 2 * w);
            Buf y = l.keep(conv(l, up, c / 2, 2 * rows, 2 * w));
            l.free(up);
            l.close();
            return y;
        });
    }

    /** What {@link RowStrips#apply} does for a map of {@code h} rows: the whole map, or strips with halos joined. */
    private Buf strips(ActivationLedger l, long h, long bytesPerRow, LongFunction<Buf> op) {
        long rows = Math.max(1, stripBytes / Math.max(1, bytesPerRow));
        if (rows >= h) {
            return op.apply(h);
        }
        l.open();
        long outBytes = 0;
        for (long r0 = 0; r0 < h; r0 += rows) {
            long r1 = Math.min(h, r0 + rows);
            long a = Math.max(0, r0 - 1);
            long b = Math.min(h, r1 + 1);
            l.open();
            Buf part = l.keep(op.apply(b - a));
            l.close();
            outBytes += part.bytes() / (b - a) * (r1 - r0);
        }
        Buf joined = l.keep(l.alloc(outBytes));
        l.close();
        return joined;
    }
}
