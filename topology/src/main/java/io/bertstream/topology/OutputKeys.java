package io.bertstream.topology;

import io.bertstream.extract.Embedding;

import java.nio.charset.StandardCharsets;

/**
 * Output record keys, and which ids may become them. The key is the event id for a whole-text vector and for a
 * chunked text's document vector; {@code id#index} for each chunk's own vector (index 0-based), so chunks of one
 * text stay distinct in a compacted topic or a sink keyed by record key.
 *
 * <p>An id becomes keys only when it is not empty and no key made from it is longer than
 * {@code bertstream.input.max-id-bytes} (in chunk mode the id leaves room for the longest {@code #index} suffix
 * {@code bertstream.length.max-chunks} allows). Anything else is dead-lettered with the reason, never replaced by
 * another id: a replaced id would break upserts and deletes of its row without a trace.
 */
public final class OutputKeys {

    private final int maxIdBytes;
    private final int suffixBytes;
    private final String suffix;

    /**
     * @param maxIdBytes longest key, UTF-8 bytes
     * @param maxChunks  in chunk mode the most chunks an event may have (its keys end in {@code #maxChunks-1}); 0
     *                   when texts are not chunked
     */
    OutputKeys(int maxIdBytes, int maxChunks) {
        this.maxIdBytes = maxIdBytes;
        this.suffix = maxChunks > 0 ? "#" + (maxChunks - 1) : "";
        this.suffixBytes = suffix.length();
    }

    public static String keyOf(String eventId, Embedding.ChunkInfo chunk) {
        if (chunk == null || chunk.index() == chunk.count()) {
            return eventId;
        }
        return chunkKey(eventId, chunk.index());
    }

    static String chunkKey(String eventId, int index) {
        return eventId + "#" + index;
    }

    /** Why {@code id} cannot become output keys, or null when it can. */
    String refusal(String id) {
        if (id.isEmpty()) {
            return "the id is empty: an empty key can be neither upserted nor deleted";
        }
        int bytes = id.getBytes(StandardCharsets.UTF_8).length;
        if (bytes + suffixBytes <= maxIdBytes) {
            return null;
        }
        return "the id takes " + bytes + " bytes" + (suffixBytes == 0 ? "" : " (its chunk keys up to " + suffixBytes
                + " more, " + suffix + ")") + ", over the " + maxIdBytes + "-byte limit of "
                + BertstreamConfig.INPUT_MAX_ID_BYTES;
    }
}
