package io.bertstream.serde;

import org.apache.kafka.common.header.Headers;

import java.util.Map;

/** Plain UTF-8 text values; the key (or the record's coordinates) is the id; a tombstone deletes its key. */
final class StringTextDecoder implements TextDecoder {

    @Override
    public Decoded decode(String topic, int partition, long offset, Headers headers, byte[] key, byte[] value) {
        if (value == null) {
            return new DecodedDelete(StrictUtf8.idFromKeyOfDelete(key, "A tombstone"), DecodedDelete.Kind.TOMBSTONE);
        }
        String text = StrictUtf8.decode(value, "The value");
        return new DecodedText(StrictUtf8.idFromKeyOr(key, topic, partition, offset), text, Map.of(), null);
    }
}
