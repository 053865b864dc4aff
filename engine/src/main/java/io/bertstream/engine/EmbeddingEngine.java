package io.bertstream.engine;

import io.bertstream.engine.backend.Encoder;
import io.bertstream.engine.model.LoadedModel;
import io.bertstream.engine.text.LengthPolicy;

import java.util.List;

/**
 * The engine's batch API: texts in, tokens and hidden states out, in input order. Tokenizes with the model's
 * own tokenizer (no fixed padding), applies the length policy, sorts segments by length and splits them into
 * forward passes under the token budget so padding stays small. Thread-safe; one per process.
 */
public final class EmbeddingEngine implements AutoCloseable {

    // Skeleton: the engine issue fills this in (model loading, tokenizer, backends).

    public static EmbeddingEngine open(String modelSpec, EngineOptions options) {
        throw new UnsupportedOperationException("not yet implemented");
    }

    public static EmbeddingEngine open(LoadedModel model, EngineOptions options) {
        throw new UnsupportedOperationException("not yet implemented");
    }

    public LoadedModel model() {
        throw new UnsupportedOperationException("not yet implemented");
    }

    public Encoder encoder() {
        throw new UnsupportedOperationException("not yet implemented");
    }

    /** Tokens the text has with special tokens, before any truncation; for token budgets. */
    public int countTokens(String text) {
        throw new UnsupportedOperationException("not yet implemented");
    }

    /** Encodes every text; {@code layers} are hidden-state indexes 0..N (already resolved, no negatives). */
    public List<EncodedText> encodeAll(List<String> texts, int[] layers, LengthPolicy policy) {
        throw new UnsupportedOperationException("not yet implemented");
    }

    @Override
    public void close() {
    }
}
