package io.bertstream.serde;

import io.bertstream.serde.DecodeException.Reason;
import org.apache.kafka.common.header.Headers;

import java.util.Map;

/** Plain UTF-8 text values; the key (or the record's coordinates) is the id. */
final class StringTextDecoder implements TextDecoder {

    @Override
    public DecodedText decode(String topic, int partition, long offset, Headers headers, byte[] key, byte[] value) {
        if (value == null) {
            throw new DecodeException(Reason.NULL_VALUE, "Null value on " + topic);
        }
        String text = StrictUtf8.decode(value, "The value");
        return new DecodedText(StrictUtf8.idFromKeyOr(key, topic, partition, offset), text, Map.of(), null);
    }
}
