package io.bertstream.extract;

import java.util.List;

/**
 * Texts in, vectors out, with a fixed extraction (layers, pooling, post-processing, length policy).
 * What the stream processor and the CLI call. Thread-safe.
 */
public interface TextEmbedder extends AutoCloseable {

    ModelInfo info();

    /** Tokens of the text incl. special tokens, before truncation; for the batcher's token budget. */
    int countTokens(String text);

    /** One outcome per text, in input order; one bad text never fails the others. */
    List<EmbedOutcome> embedAll(List<String> texts);

    @Override
    void close();
}
