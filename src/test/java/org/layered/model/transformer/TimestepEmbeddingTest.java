package org.layered.model.transformer;

import org.junit.jupiter.api.Test;
import org.layered.engine.DType;
import org.layered.engine.Tensor;
import org.layered.engine.TensorScope;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The 256-d timestep sinusoid ([cos | sin] of 1000 * t * f_i) against the helpers golden. */
class TimestepEmbeddingTest {
    @Test
    void sinusoidMatchesUpstreamTimesteps() {
        try (Golden g = Golden.helpers(); TensorScope s = TensorScope.open()) {
            Tensor proj = TimestepEmbedding.project(g.tensor("time_proj.t"), DType.F32);
            Golden.assertShape(g.shape("time_proj.out"), proj);
            double err = Golden.maxAbsDiff(g.floats("time_proj.out"), proj.toFloats());
            System.out.printf("time_proj (t = 1.0 .. 0.0) max abs err %.3g%n", err);
            assertTrue(err <= 1e-5, "time projection error " + err);
        }
    }
}
