package org.layered.engine;

/**
 * Whether libtorch's {@code reshape} returns a view: it does exactly when the new shape can be laid over the old
 * memory layout with strides alone (ATen's {@code computeStride}: each run of dimensions that is contiguous in memory
 * must be split or merged into whole new dimensions), and copies otherwise.
 */
final class Strides {
    private Strides() {}

    /**
     * @param oldShape   the tensor's shape
     * @param oldStrides its strides in elements
     * @param newShape   the requested shape (no -1: resolved, same element count)
     */
    static boolean viewable(long[] oldShape, long[] oldStrides, long[] newShape) {
        long numel = 1;
        for (long d : oldShape) {
            numel *= d;
        }
        if (numel == 0 || oldShape.length == 0) {
            return true;
        }
        int viewD = newShape.length - 1;
        long chunkBaseStride = oldStrides[oldStrides.length - 1];
        long tensorNumel = 1;
        long viewNumel = 1;
        for (int tensorD = oldShape.length - 1; tensorD >= 0; tensorD--) {
            tensorNumel *= oldShape[tensorD];
            // a chunk ends where the next-outer dimension is not laid out right after this one
            if (tensorD == 0 || (oldShape[tensorD - 1] != 1
                    && oldStrides[tensorD - 1] != tensorNumel * chunkBaseStride)) {
                while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] == 1)) {
                    viewNumel *= newShape[viewD];
                    viewD--;
                }
                if (viewNumel != tensorNumel) {
                    return false;
                }
                if (tensorD > 0) {
                    chunkBaseStride = oldStrides[tensorD - 1];
                    tensorNumel = 1;
                    viewNumel = 1;
                }
            }
        }
        return viewD == -1;
    }
}
