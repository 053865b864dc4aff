package io.bertstream.engine.model;

import java.util.Arrays;

/**
 * One fp32 weight tensor, row-major, in Hugging Face (PyTorch) orientation: Linear weights are
 * [out, in] whatever the source format stored.
 */
public record Tensor(String name, long[] shape, float[] data) {

    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape);
    }
}
