package org.layered.pipeline;

import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Elapsed time and the time left of a run, for progress messages: the elapsed time counts from the first stage;
 * during denoising the time left is the mean step so far times the steps to go. Front ends feed it the same
 * stage and step calls a {@link ProgressListener} gets.
 */
public final class ProgressClock {
    private final LongSupplier nanos;
    private long start = -1;
    private long stageStart;
    private long stepsStart;
    private long lastStep;

    public ProgressClock() {
        this(System::nanoTime);
    }

    /** With another clock (tests). */
    public ProgressClock(LongSupplier nanos) {
        this.nanos = nanos;
    }

    /** A stage begins. */
    public void stage() {
        long now = nanos.getAsLong();
        if (start < 0) {
            start = now;
        }
        stageStart = now;
        stepsStart = now;
        lastStep = now;
    }

    /**
     * Step {@code step} of {@code total} has finished.
     *
     * @return the seconds the step took
     */
    public double step(int step, int total) {
        long now = nanos.getAsLong();
        if (start < 0) {
            start = now;
            stepsStart = now;
            lastStep = now;
        }
        double took = (now - lastStep) / 1e9;
        lastStep = now;
        return took;
    }

    /** Seconds since the first stage. */
    public double elapsed() {
        return start < 0 ? 0 : (nanos.getAsLong() - start) / 1e9;
    }

    /** Seconds the current stage has been running. */
    public double stageElapsed() {
        return (nanos.getAsLong() - stageStart) / 1e9;
    }

    /** Seconds left in the steps, after step {@code step} of {@code total}: the mean step so far times the rest. */
    public double left(int step, int total) {
        if (step <= 0) {
            return Double.NaN;
        }
        double perStep = (lastStep - stepsStart) / 1e9 / step;
        return perStep * (total - step);
    }

    /** "elapsed 1:05" */
    public String elapsedText() {
        return "elapsed " + duration(elapsed());
    }

    /** "step 3/50, elapsed 1:05, about 12:40 left" */
    public String stepText(int step, int total) {
        double left = left(step, total);
        return "step " + step + "/" + total + ", " + elapsedText()
                + (Double.isNaN(left) || step == total ? "" : ", about " + duration(left) + " left");
    }

    /** {@code m:ss} below an hour, {@code h:mm:ss} above. */
    public static String duration(double seconds) {
        long s = Math.max(0, Math.round(seconds));
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
