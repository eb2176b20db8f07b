package org.layered.pipeline;

/**
 * How true CFG computes its two predictions per step: the conditional and the unconditional branch as one
 * transformer call on a batch of two (the shorter prompt padded and masked, which gives each branch's result), or as
 * two calls. One batch halves the calls and the weight traffic per step but doubles the step's activations.
 */
public enum GuidanceBatching {
    /**
     * One batch when the memory plan the pipeline follows says so ({@link DecompositionPlan#batchedGuidance}: on a GPU,
     * when the doubled activations fit beside the same weights), else two calls; two calls for a pipeline opened
     * without a plan.
     */
    AUTO,
    /** Always one batch of two. */
    ONE_BATCH,
    /** Always two calls (the memory of one branch at a time). */
    TWO_CALLS
}
