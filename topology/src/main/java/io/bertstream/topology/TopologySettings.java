package io.bertstream.topology;

import java.util.List;
import java.util.regex.Pattern;

/**
 * The shape of the stream: where events come from and go, how they are batched and bounded.
 *
 * @param inputTopics     input topics; empty when {@code inputPattern} is used
 * @param inputPattern    input topic pattern, or null
 * @param outputTopic     topic of the embedding records
 * @param deadLetterTopic topic of the records that could not be embedded
 * @param batch           micro-batch limits
 * @param cache           the embedding cache of each task; off when {@code maxEntries} is 0
 * @param extraction      extraction settings the model identity does not show (length policy, document vector);
 *                        part of the cache key, so a changed setting never serves stale vectors
 * @param maxInputBytes   larger input values are dead-lettered instead of embedded
 * @param includeText     echo the text (or chunk) in each output record
 * @param maxRecordBytes  largest record bertstream produces, on top of what the producer and the topics accept
 *                        ({@link SizeLimits}): larger outputs are dead-lettered, larger dead letters are cut
 * @param events          how much work one event may ask of the model
 * @param deletes         what tombstones and Debezium delete events do
 * @param maxIdBytes      longest id (UTF-8 bytes), chunk suffix included: longer ids, and empty ones, are dead-lettered
 *                        ({@link OutputKeys})
 */
public record TopologySettings(List<String> inputTopics, Pattern inputPattern, String outputTopic,
                               String deadLetterTopic, BatchPolicy batch, Cache cache, String extraction, int maxInputBytes,
                               boolean includeText, int maxRecordBytes, EventLimits events, Deletes deletes,
                               int maxIdBytes) {

    /** What an input delete (a tombstone, a Debezium delete event) does. */
    public enum Deletes {
        /** A tombstone for the id and for each of its chunk keys, in order with the id's embeddings. */
        PROPAGATE,
        /** The delete goes to the dead-letter topic, as any record that is not a text. */
        DEAD_LETTER,
        /** Nothing (counted in bertstream_deletes_total{action="ignored"}). */
        IGNORE
    }

    /**
     * Bounds of each task's embedding cache: at most {@code maxEntries} texts and {@code maxBytes} bytes of encoded
     * vectors, least recently used out first. Per task, so a process holds up to maxBytes per active task, and as
     * much again per standby task.
     */
    public record Cache(int maxEntries, long maxBytes) {

        public Cache {
            if (maxEntries < 0 || maxBytes < 0) {
                throw new IllegalArgumentException("cache bounds must not be negative: " + maxEntries + " entries, "
                        + maxBytes + " bytes");
            }
        }

        public static Cache off() {
            return new Cache(0, 0);
        }

        boolean enabled() {
            return maxEntries > 0 && maxBytes > 0;
        }
    }

    /**
     * Work one event may ask for: its tokens (counted before truncation) and, in chunk mode, its chunks. An event
     * over either is dead-lettered with the key to raise in the reason.
     */
    public record EventLimits(int maxTokens, int maxChunks) {

        public EventLimits {
            if (maxTokens < 1 || maxChunks < 1) {
                throw new IllegalArgumentException("event limits must be positive: " + maxTokens + " tokens, "
                        + maxChunks + " chunks");
            }
        }
    }

    public TopologySettings {
        inputTopics = List.copyOf(inputTopics);
        if (inputTopics.isEmpty() == (inputPattern == null)) {
            throw new IllegalArgumentException("give either input topics or an input pattern, not both or neither");
        }
        if (deletes == null || maxIdBytes < 1) {
            throw new IllegalArgumentException("a delete policy and a positive key limit are needed: " + deletes + ", "
                    + maxIdBytes);
        }
    }
}
