package io.bertstream.serde;

/** The two Avro wire framings bertstream reads and writes, told apart by their first bytes. */
enum AvroFraming {
    /** Confluent Schema Registry: magic byte 0, 4-byte big-endian schema id, Avro binary. */
    REGISTRY,
    /** Avro single-object encoding: 0xC3 0x01, 8-byte little-endian CRC-64-AVRO fingerprint, Avro binary. */
    SINGLE_OBJECT;

    static final byte REGISTRY_MAGIC = 0;
    static final int REGISTRY_HEADER_LENGTH = 5;
    static final int SINGLE_OBJECT_HEADER_LENGTH = 10;

    /** The framing of {@code bytes}, or null when they start like neither. */
    static AvroFraming detect(byte[] bytes) {
        if (bytes.length >= REGISTRY_HEADER_LENGTH && bytes[0] == REGISTRY_MAGIC) {
            return REGISTRY;
        }
        if (bytes.length >= SINGLE_OBJECT_HEADER_LENGTH && bytes[0] == (byte) 0xC3 && bytes[1] == (byte) 0x01) {
            return SINGLE_OBJECT;
        }
        return null;
    }
}
