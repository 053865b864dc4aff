package io.bertstream.bench;

import io.bertstream.engine.model.BertConfig;

/**
 * Forward-pass FLOPs of a BERT encoder from its config: every Linear costs 2 FLOPs per weight per token, and
 * attention adds QK^T and AV, 2*T^2*H each, per layer. For all-MiniLM-L6-v2 this is 21.2 MFLOP per token plus
 * 9,216*T^2 per sequence. Only real tokens count (padding is wasted work, not achieved work).
 */
public record FlopModel(long linearParams, long attentionFactor) {

    public static FlopModel of(BertConfig config) {
        long h = config.hiddenSize();
        long perLayer = 4 * h * h + 2 * h * config.intermediateSize(); // Q, K, V, attention-out; FFN in and out
        return new FlopModel(config.numHiddenLayers() * perLayer, 4 * h * config.numHiddenLayers());
    }

    public double flopsPerToken() {
        return 2.0 * linearParams;
    }

    /** FLOPs of one sequence of {@code tokens} tokens (special tokens included). */
    public double flops(int tokens) {
        return flopsPerToken() * tokens + (double) attentionFactor * tokens * tokens;
    }

    /** FLOPs of one pass over sequences of these lengths. */
    public double flops(int[] tokenCounts) {
        double total = 0;
        for (int tokens : tokenCounts) {
            total += flops(tokens);
        }
        return total;
    }
}
