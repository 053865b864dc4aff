package io.bertstream.engine.backend;

/**
 * Hidden states of the requested layers for one pass, copied out of native memory.
 * {@code data[i]} is layer {@code layers[i]} as a row-major [batch, seqLen, hidden] array
 * ({@code rows} x {@code seqLen} tokens; layer 0 = embedding output, 1..N = encoder layers).
 */
public record HiddenStates(int rows, int seqLen, int hidden, int[] layers, float[][] data) {

    /** Offset of token {@code t} of row {@code r} inside {@code data[i]}. */
    public int offset(int r, int t) {
        return (r * seqLen + t) * hidden;
    }

    /** Index into {@code data} of hidden-state layer {@code layer}; -1 if it was not requested. */
    public int indexOf(int layer) {
        for (int i = 0; i < layers.length; i++) {
            if (layers[i] == layer) {
                return i;
            }
        }
        return -1;
    }
}
