package io.bertstream.extract;

import java.util.List;

/**
 * Texts in, vectors out, with a fixed extraction (layers, pooling, post-processing, length policy).
 * What the stream processor and the CLI call. Thread-safe.
 *
 * <p>Failure contract: a text that is bad data gets an {@link EmbedOutcome.Rejected} with the reason and the
 * others are embedded as usual: empty or whitespace-only text, text the tokenizer turns into no tokens, text
 * over a per-text cap ({@link io.bertstream.engine.InvalidTextException}). Anything else ({@link #embedAll}
 * throwing: a failed forward pass, native memory, a closed engine, a setting that leaves no room for text) is
 * not any one text's fault and propagates as an exception; the stream processor treats it as an
 * infrastructure fault (retry, never dead-letter).
 */
public interface TextEmbedder extends AutoCloseable {

    ModelInfo info();

    /** Tokens of the text incl. special tokens, before truncation; for the batcher's token budget. */
    int countTokens(String text);

    /**
     * One outcome per text, in input order; one bad text never fails the others.
     *
     * @throws RuntimeException for faults that are not one text's (see the class comment)
     */
    List<EmbedOutcome> embedAll(List<String> texts);

    @Override
    void close();
}
