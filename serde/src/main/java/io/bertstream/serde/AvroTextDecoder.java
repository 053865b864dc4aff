package io.bertstream.serde;

import io.bertstream.avro.TextEvent;
import org.apache.kafka.common.header.Headers;

/** Avro {@link TextEvent}s in either framing; a tombstone deletes its key (TextEvent producers key by id). */
final class AvroTextDecoder implements TextDecoder {

    private final AvroDeserializer<TextEvent> deserializer;

    AvroTextDecoder(RegistryClient registry) {
        this.deserializer = new AvroDeserializer<>(TextEvent.class, registry);
    }

    @Override
    public Decoded decode(String topic, int partition, long offset, Headers headers, byte[] key, byte[] value) {
        if (value == null) {
            return new DecodedDelete(StrictUtf8.idFromKeyOfDelete(key, "A tombstone"), DecodedDelete.Kind.TOMBSTONE);
        }
        TextEvent event = deserializer.deserialize(topic, value);
        String id = event.getId().isEmpty() ? StrictUtf8.idFromKeyOr(key, topic, partition, offset) : event.getId();
        return new DecodedText(id, event.getText(), event.getMetadata(), event.getEventTime());
    }
}
