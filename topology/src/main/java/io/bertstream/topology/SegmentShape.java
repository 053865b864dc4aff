package io.bertstream.topology;

import io.bertstream.engine.text.LengthPolicy;

/**
 * How the model cuts a text of a given token count (special tokens included, counted before truncation), so the
 * stream can tell in advance how much work an event asks for: one window, or in chunk mode one per chunk. Mirrors
 * the engine's segmenter for BERT's two special tokens ([CLS], [SEP]).
 *
 * @param mode    the length mode
 * @param window  tokens per model input, special tokens included
 * @param overlap chunk mode: tokens shared by neighbouring chunks
 */
public record SegmentShape(LengthPolicy.Mode mode, int window, int overlap) {

    static final int SPECIAL_TOKENS = 2;

    public SegmentShape {
        if (window <= SPECIAL_TOKENS) {
            throw new IllegalArgumentException("a model input of " + window + " tokens leaves no room for text");
        }
    }

    /** The policy as the engine applies it to a model of {@code modelMaxTokens}. */
    public static SegmentShape of(LengthPolicy policy, int modelMaxTokens) {
        int window = policy.maxTokens() <= 0 ? modelMaxTokens : Math.min(policy.maxTokens(), modelMaxTokens);
        return new SegmentShape(policy.mode(), Math.max(window, SPECIAL_TOKENS + 1), Math.max(0, policy.overlap()));
    }

    /** Whether long texts become chunks, each a vector with its own key (id#index). */
    boolean chunked() {
        return mode == LengthPolicy.Mode.CHUNK;
    }

    /** Model inputs the text becomes: 1, or the number of chunks. */
    int chunks(int tokens) {
        int inner = tokens - SPECIAL_TOKENS;
        int budget = window - SPECIAL_TOKENS;
        if (mode != LengthPolicy.Mode.CHUNK || inner <= budget) {
            return 1;
        }
        int stride = Math.max(1, budget - overlap);
        return 1 + (int) Math.min(Integer.MAX_VALUE - 1, (long) Math.ceil((double) (inner - budget) / stride));
    }

    /** Tokens the model computes for the text: its window (truncated), or every chunk's. */
    int cost(int tokens) {
        int chunks = chunks(tokens);
        if (chunks == 1) {
            return Math.min(tokens, window);
        }
        long all = (long) tokens + (long) (chunks - 1) * (overlap + SPECIAL_TOKENS);
        return (int) Math.min(Integer.MAX_VALUE, all);
    }
}
