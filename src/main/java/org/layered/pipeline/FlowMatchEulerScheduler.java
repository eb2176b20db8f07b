package org.layered.pipeline;

import org.layered.engine.DType;
import org.layered.engine.Ops;
import org.layered.engine.Tensor;
import org.layered.engine.TensorScope;

import java.util.Arrays;

/**
 * diffusers' {@code FlowMatchEulerDiscreteScheduler} as the Qwen-Image-Layered pipeline drives it: custom input
 * sigmas {@code linspace(1, 0, steps+1)[:-1]}, a dynamic shift with {@code mu = sqrt(condition_tokens / 256)},
 * {@code timesteps = sigmas * 1000}, a trailing 0 sigma, and first-order Euler steps.
 *
 * <p>Upstream evaluates the shift in float32 numpy (Python scalars such as {@code mu} are converted to float32
 * before each operation, NEP 50), so the sigmas are computed here with Java {@code float} arithmetic in the same
 * operation order, which reproduces them bit for bit.
 */
public final class FlowMatchEulerScheduler {
    private final FlowMatchSchedulerConfig config;

    public FlowMatchEulerScheduler(FlowMatchSchedulerConfig config) {
        this.config = config;
    }

    public FlowMatchSchedulerConfig config() {
        return config;
    }

    /** The pipeline's shift: {@code (condition_tokens / 256) ** 0.5} in float64 (tokens of one frame). */
    public static double layeredMu(long conditionTokens) {
        if (conditionTokens <= 0) {
            throw new IllegalArgumentException("condition token count must be positive, got " + conditionTokens);
        }
        // CPython's x ** 0.5 calls C pow(), which glibc rounds correctly, as Math.sqrt does.
        return Math.sqrt(conditionTokens / ResolutionBucket.BASE_SEQ_LEN);
    }

    /**
     * {@code numpy.linspace(1.0, 0, steps + 1)[:-1]} in float64, evaluated as numpy does
     * ({@code i * step + start} with {@code step = (stop - start) / (num - 1)}).
     */
    public static double[] layeredSigmaInputs(int steps) {
        if (steps < 1) {
            throw new IllegalArgumentException("number of inference steps must be at least 1, got " + steps);
        }
        double start = 1.0;
        double step = (0.0 - start) / steps;
        double[] out = new double[steps];
        for (int i = 0; i < steps; i++) {
            out[i] = i * step + start;
        }
        return out;
    }

    /** The Layered pipeline's schedule for {@code steps} steps and a condition frame of {@code conditionTokens}. */
    public Schedule layeredSchedule(int steps, long conditionTokens) {
        return schedule(layeredSigmaInputs(steps), layeredMu(conditionTokens));
    }

    /**
     * {@code set_timesteps(sigmas=sigmasIn, mu=mu)}: sigmas cast to float32, shifted, optionally stretched to
     * {@code shift_terminal}, timesteps = sigma * num_train_timesteps, then a 0 appended to the sigmas.
     *
     * @param mu the dynamic shift; ignored (as upstream) when dynamic shifting is off
     */
    public Schedule schedule(double[] sigmasIn, double mu) {
        if (sigmasIn.length == 0) {
            throw new IllegalArgumentException("at least one sigma is needed");
        }
        if (config.useDynamicShifting() && !Double.isFinite(mu)) {
            throw new IllegalArgumentException("a finite mu is needed with use_dynamic_shifting, got " + mu);
        }
        int n = sigmasIn.length;
        float[] s = new float[n];
        for (int i = 0; i < n; i++) {
            s[i] = (float) sigmasIn[i]; // np.array(sigmas).astype(np.float32)
        }
        for (int i = 0; i < n; i++) {
            s[i] = shift(s[i], mu);
        }
        if (config.shiftTerminal() != 0) {
            stretchToTerminal(s, config.shiftTerminal());
        }
        float[] sigmas = Arrays.copyOf(s, n + 1); // trailing 0 (invert_sigmas is rejected by the config)
        float[] timesteps = new float[n];
        float train = config.numTrainTimesteps();
        for (int i = 0; i < n; i++) {
            timesteps[i] = s[i] * train; // torch float32 tensor times an int
        }
        return new Schedule(sigmas, timesteps);
    }

    /** One sigma through {@code time_shift(mu, 1.0, t)} or the static shift, every op rounded to float32. */
    private float shift(float t, double mu) {
        if (!config.useDynamicShifting()) {
            // shift * sigmas / (1 + (shift - 1) * sigmas); (shift - 1) is a Python float op, done in double first
            float sh = (float) config.shift();
            float shm1 = (float) (config.shift() - 1);
            return (sh * t) / (1f + shm1 * t);
        }
        // (1 / t - 1) ** 1.0 == (1 / t - 1) exactly
        float base = 1f / t - 1f;
        if (config.timeShiftType().equals("linear")) {
            float m = (float) mu;
            return m / (m + base);
        }
        float e = (float) Math.exp(mu); // math.exp(mu) is a Python float, converted to float32 by numpy
        return e / (e + base);
    }

    /** {@code stretch_shift_to_terminal}: {@code 1 - (1 - t) / ((1 - t[-1]) / (1 - terminal))}, in float32. */
    private static void stretchToTerminal(float[] s, double terminal) {
        int n = s.length;
        float[] oneMinus = new float[n];
        for (int i = 0; i < n; i++) {
            oneMinus[i] = 1f - s[i];
        }
        float scale = oneMinus[n - 1] / (float) (1 - terminal);
        for (int i = 0; i < n; i++) {
            s[i] = 1f - oneMinus[i] / scale;
        }
    }

    /**
     * A computed schedule.
     *
     * @param sigmas float32 sigmas, one more than the steps (the last is 0)
     * @param timesteps float32 timesteps passed to the transformer ({@code sigma * 1000}), one per step
     */
    public record Schedule(float[] sigmas, float[] timesteps) {
        public Schedule {
            if (sigmas.length != timesteps.length + 1) {
                throw new IllegalArgumentException("need one sigma more than timesteps, got " + sigmas.length
                        + " and " + timesteps.length);
            }
            sigmas = sigmas.clone();
            timesteps = timesteps.clone();
        }

        public int steps() {
            return timesteps.length;
        }

        @Override
        public float[] sigmas() {
            return sigmas.clone();
        }

        @Override
        public float[] timesteps() {
            return timesteps.clone();
        }

        public float sigma(int i) {
            return sigmas[i];
        }

        public float timestep(int i) {
            return timesteps[i];
        }

        /**
         * {@code scheduler.step(model_output, timesteps[i], sample)} with {@code set_begin_index(0)}, i.e. step
         * index {@code i}: {@code float32(sample) + (sigma[i+1] - sigma[i]) * model_output}, cast back to the
         * model output's dtype. The result belongs to the caller's current scope.
         */
        public Tensor step(int i, Tensor modelOutput, Tensor sample) {
            if (i < 0 || i >= steps()) {
                throw new IndexOutOfBoundsException("step " + i + " of a " + steps() + "-step schedule");
            }
            if (!Arrays.equals(modelOutput.shape(), sample.shape())) {
                throw new IllegalArgumentException("model output " + Arrays.toString(modelOutput.shape())
                        + " and sample " + Arrays.toString(sample.shape()) + " differ in shape");
            }
            float dt = sigmas[i + 1] - sigmas[i]; // a float32 tensor subtraction upstream
            try (TensorScope s = TensorScope.open()) {
                Tensor sample32 = Ops.as(sample, DType.F32); // "upcast to avoid precision issues"
                // dt is a 0-dim tensor upstream, so dt * model_output keeps the model output's dtype
                Tensor prev = sample32.add(modelOutput.mul(dt));
                return s.keep(Ops.as(prev, modelOutput.dtype()));
            }
        }
    }
}
