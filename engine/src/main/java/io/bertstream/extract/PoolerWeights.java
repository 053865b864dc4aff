package io.bertstream.extract;

import io.bertstream.engine.model.ModelWeights;
import io.bertstream.engine.model.Tensor;

import java.util.Optional;

/** BERT's pooler: a dense layer [hidden, hidden] plus tanh, applied to a [CLS] vector. */
public record PoolerWeights(float[] weight, float[] bias, int hidden) {

    public PoolerWeights {
        if (weight.length != hidden * hidden || bias.length != hidden) {
            throw new IllegalArgumentException("pooler weights must be [" + hidden + ", " + hidden + "] and [" + hidden + "]");
        }
    }

    /** The checkpoint's pooler.dense.* weights, when it has them. */
    public static Optional<PoolerWeights> of(ModelWeights weights) {
        if (!weights.hasPooler()) {
            return Optional.empty();
        }
        Tensor w = weights.get("pooler.dense.weight");
        Tensor b = weights.get("pooler.dense.bias");
        return Optional.of(new PoolerWeights(w.data(), b.data(), b.data().length));
    }

    /** tanh(W . x + b), W in PyTorch orientation [out, in]. */
    public float[] apply(float[] cls) {
        float[] out = new float[hidden];
        for (int o = 0; o < hidden; o++) {
            double sum = bias[o];
            for (int i = 0; i < hidden; i++) {
                sum += weight[o * hidden + i] * cls[i];
            }
            out[o] = (float) Math.tanh(sum);
        }
        return out;
    }
}
