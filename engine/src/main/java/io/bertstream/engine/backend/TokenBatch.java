package io.bertstream.engine.backend;

/**
 * A padded batch ready for a forward pass: {@code size} rows of {@code seqLen} tokens, row-major.
 * Padding positions have mask 0.
 */
public record TokenBatch(int size, int seqLen, long[] inputIds, long[] attentionMask, long[] tokenTypeIds) {

    public TokenBatch {
        int n = size * seqLen;
        if (inputIds.length != n || attentionMask.length != n || tokenTypeIds.length != n) {
            throw new IllegalArgumentException("batch arrays must hold size*seqLen = " + n + " entries");
        }
    }
}
