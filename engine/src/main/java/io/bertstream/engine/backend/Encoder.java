package io.bertstream.engine.backend;

/**
 * A BERT encoder backend: one forward pass over a padded batch returns the hidden states of the requested
 * layers (0 = embedding output, 1..N = encoder layers). Implementations hold native memory; close them.
 * Thread-safe: one encoder serves every stream thread of a process.
 */
public interface Encoder extends AutoCloseable {

    /** Short name for logs, metrics and records, e.g. "pytorch-cpu", "onnxruntime-cpu". */
    String name();

    /** Number of encoder layers N; valid hidden-state indexes are 0..N. */
    int numLayers();

    HiddenStates forward(TokenBatch batch, int[] layers);

    @Override
    void close();
}
