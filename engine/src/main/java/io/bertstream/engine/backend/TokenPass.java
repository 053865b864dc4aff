package io.bertstream.engine.backend;

/**
 * The input of one forward pass, padded: {@code size} rows of {@code seqLen} tokens, row-major.
 * Padding positions have mask 0.
 */
public record TokenPass(int size, int seqLen, long[] inputIds, long[] attentionMask, long[] tokenTypeIds) {

    public TokenPass {
        int n = size * seqLen;
        if (inputIds.length != n || attentionMask.length != n || tokenTypeIds.length != n) {
            throw new IllegalArgumentException("pass arrays must hold size*seqLen = " + n + " entries");
        }
    }
}
