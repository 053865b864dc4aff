package io.bertstream.topology;

import io.bertstream.extract.Embedding;

/**
 * Output record keys: the event id for a whole-text vector and for a chunked text's document vector;
 * {@code id#index} for each chunk's own vector (index 0-based), so chunks of one text stay distinct in a
 * compacted topic or a sink keyed by record key.
 */
public final class OutputKeys {

    private OutputKeys() {
    }

    public static String keyOf(String eventId, Embedding.ChunkInfo chunk) {
        if (chunk == null || chunk.index() == chunk.count()) {
            return eventId;
        }
        return eventId + "#" + chunk.index();
    }
}
