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
 * @param cacheMaxEntries embedding cache entries per task; 0 turns the cache off
 * @param extraction      extraction settings the model identity does not show (length policy, document vector);
 *                        part of the cache key, so a changed setting never serves stale vectors
 * @param maxInputBytes   larger input values are dead-lettered instead of embedded
 * @param includeText     echo the text (or chunk) in each output record
 * @param maxRecordBytes  largest record the producer may send (its max.request.size, less headroom); larger
 *                        outputs are dead-lettered and larger dead-letter values are cut to this size
 */
public record TopologySettings(List<String> inputTopics, Pattern inputPattern, String outputTopic,
                               String deadLetterTopic, BatchPolicy batch, int cacheMaxEntries, String extraction, int maxInputBytes,
                               boolean includeText, int maxRecordBytes) {

    public TopologySettings {
        inputTopics = List.copyOf(inputTopics);
        if (inputTopics.isEmpty() == (inputPattern == null)) {
            throw new IllegalArgumentException("give either input topics or an input pattern, not both or neither");
        }
    }
}
