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

    /**
     * The key as the id, or the record's coordinates when there is no key: an empty key is how many producers say
     * "no key", so it counts as none.
     */
    static String idFromKeyOr(byte[] key, String topic, int partition, long offset) {
        if (key == null || key.length == 0) {
            return topic + "-" + partition + "-" + offset;
        }
        return decode(key, "The key");
    }

    /**
     * The key as the id of a delete. No fallback: the coordinates of a tombstone name nothing that was ever
     * embedded, so a delete without a key is refused ({@link DecodeException.Reason#NO_ID}).
     */
    static String idFromKeyOfDelete(byte[] key, String what) {
        if (key == null || key.length == 0) {
            throw new DecodeException(DecodeException.Reason.NO_ID, what + " without a key: nothing says which id it deletes");
        }
        return decode(key, "The key");
    }
}
