package io.bertstream.serde;

import java.time.Instant;
import java.util.Map;

/**
 * A text to embed, decoded from an input record.
 *
 * @param id        the id its embeddings will carry (see {@link TextDecoder} for where it comes from)
 * @param text      the text
 * @param metadata  passed through to the embeddings; empty when the input has none
 * @param eventTime when the text was written at its source; null when unknown
 */
public record DecodedText(String id, String text, Map<String, String> metadata, Instant eventTime) implements Decoded {

    public DecodedText {
        metadata = Map.copyOf(metadata);
    }
}
