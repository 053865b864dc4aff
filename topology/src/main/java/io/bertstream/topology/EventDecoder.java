package io.bertstream.topology;

/** Turns an input record's bytes into an id and a text; throws with a readable reason when it cannot. */
@FunctionalInterface
public interface EventDecoder {

    /** @param id the event's own id, or null to key the output by the record key (or its coordinates) */
    record Decoded(String id, String text) {
    }

    Decoded decode(String topic, byte[] key, byte[] value);
}
