package io.bertstream.serde;

import io.bertstream.serde.DecodeException.Reason;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** UTF-8 decoding that rejects malformed bytes instead of replacing them with U+FFFD. */
final class StrictUtf8 {

    private StrictUtf8() {
    }

    static String decode(byte[] bytes, String what) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new DecodeException(Reason.INVALID_UTF8, what + " is not valid UTF-8: " + e.getMessage(), e);
        }
    }

    /** The key as the id, or the record's coordinates when there is no key. */
    static String idFromKeyOr(byte[] key, String topic, int partition, long offset) {
        if (key == null || key.length == 0) {
            return topic + "-" + partition + "-" + offset;
        }
        return decode(key, "The key");
    }
}
