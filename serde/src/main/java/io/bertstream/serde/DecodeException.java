package io.bertstream.serde;

import org.apache.kafka.common.errors.SerializationException;

/**
 * Input bytes that cannot be turned into a text to embed. Carries a machine-readable {@link Reason} for the
 * dead-letter record; never a reason to stop the stream. A {@link SerializationException}, so Kafka's own
 * deserialization handlers treat it as one.
 */
public class DecodeException extends SerializationException {

    /** Why a record could not be decoded; stable names, used as the dead-letter reason code. */
    public enum Reason {
        /** The value is null where a record must have one (e.g. Avro bytes asked of a deserializer). */
        NULL_VALUE,
        /**
         * A delete (a tombstone, or a Debezium delete event) that names no id: no key, or a key that does not hold
         * the id where {@code input.json.id-pointer} says the id is.
         */
        NO_ID,
        /** Bytes that should be UTF-8 text are not valid UTF-8. */
        INVALID_UTF8,
        /** The value is not valid JSON. */
        MALFORMED_JSON,
        /** A configured JSON Pointer finds nothing in the value. */
        POINTER_NOT_FOUND,
        /** A field exists but has the wrong type (e.g. the text is a number). */
        WRONG_TYPE,
        /** Avro input that starts with neither the registry (0x00) nor the single-object (0xC3 0x01) header. */
        UNKNOWN_FRAMING,
        /** Avro bytes that do not decode with their writer schema. */
        MALFORMED_AVRO,
        /** The schema id or fingerprint in the header is not known (to the registry, or to this jar). */
        UNKNOWN_SCHEMA,
        /** The writer schema cannot be read as the expected record. */
        INCOMPATIBLE_SCHEMA,
        /**
         * The schema registry could not be reached (after retries) or answered with an error other than "not
         * found": a fault of the infrastructure, not of the record; see {@link DecodeException#infrastructure()}.
         */
        REGISTRY_UNAVAILABLE
    }

    private final Reason reason;

    public DecodeException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public DecodeException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }

    /**
     * True when the record could not be decoded for a reason outside it (the registry is down, slow or refuses
     * our credentials): decoding it again later may succeed, so it must not be judged bad data.
     */
    public boolean infrastructure() {
        return reason == Reason.REGISTRY_UNAVAILABLE;
    }
}
