package io.bertstream.serde;

/**
 * An input record that removes an id: a tombstone (null value), or a Debezium delete event ({@code "op": "d"},
 * {@code "after": null}), which Debezium follows with a tombstone of the same key.
 *
 * @param id   the id whose embeddings must go (see {@link TextDecoder} for where it comes from)
 * @param kind which of the two it was
 */
public record DecodedDelete(String id, Kind kind) implements Decoded {

    /** How the input said it. */
    public enum Kind {
        /** A null value: how a compacted topic (and Debezium, after its delete event) says a key is gone. */
        TOMBSTONE,
        /** A Debezium change event with {@code "op": "d"}: the row as it was is in {@code before}. */
        DELETE_EVENT
    }
}
