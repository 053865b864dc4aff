package io.bertstream.engine.backend;

/**
 * A BERT encoder backend: one forward pass over padded rows returns the hidden states of the requested
 * layers (0 = embedding output, 1..N = encoder layers). Implementations hold native memory; close them.
 * Thread-safe: one encoder serves every stream thread of a process.
 */
public interface Encoder extends AutoCloseable {

    /** Short name for logs, metrics and records, e.g. "pytorch-cpu", "onnxruntime-cpu". */
    String name();

    /** Number of encoder layers N; valid hidden-state indexes are 0..N. */
    int numLayers();

    /**
     * One forward pass. {@code layers} were checked by the engine ({@link io.bertstream.engine.EmbeddingEngine#checkLayers});
     * a failure here is the pass's, not any one text's: implementations throw, the engine passes it on.
     */
    HiddenStates forward(TokenPass pass, int[] layers);

    @Override
    void close();
}
