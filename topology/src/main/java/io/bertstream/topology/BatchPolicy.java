package io.bertstream.topology;

import java.time.Duration;

/**
 * When a micro-batch closes: at {@code maxRecords} events, when its padded tokens (rows x longest, as
 * text-embeddings-inference's max-batch-tokens) would pass {@code maxTokens}, or {@code linger} after its first
 * event arrived — whichever comes first.
 */
public record BatchPolicy(int maxRecords, int maxTokens, Duration linger) {

    public BatchPolicy {
        if (maxRecords < 1 || maxTokens < 1 || linger.isNegative() || linger.isZero()) {
            throw new IllegalArgumentException("batch limits must be positive: " + maxRecords + " records, "
                    + maxTokens + " tokens, linger " + linger);
        }
    }
}
