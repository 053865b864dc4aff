package io.bertstream.serde;

import io.bertstream.avro.EmbeddingRecord;
import io.bertstream.avro.SchemaHistory;
import io.bertstream.serde.DecodeException.Reason;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SingleObjectEncodingTest {

    private final AvroDeserializer<EmbeddingRecord> deserializer = new AvroDeserializer<>(EmbeddingRecord.class, null);

    @Test
    void headerIsMarkerAndLittleEndianCrc64FingerprintOfTheSchema() {
        byte[] bytes = OutputFormat.SINGLE_OBJECT.serializer(Map.of()).serialize("embeddings", TestRecords.full(1));
        assertEquals((byte) 0xC3, bytes[0]);
        assertEquals((byte) 0x01, bytes[1]);
        long fingerprint = ByteBuffer.wrap(bytes, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(SchemaNormalization.parsingFingerprint64(EmbeddingRecord.getClassSchema()), fingerprint);
    }

    @Test
    void roundTripsWithoutARegistry() {
        var serializer = new SingleObjectSerializer<>(EmbeddingRecord.class);
        for (EmbeddingRecord record : List.of(TestRecords.full(2), TestRecords.minimal(3))) {
            assertEquals(record, deserializer.deserialize("embeddings", serializer.serialize("embeddings", record)));
        }
    }

    @Test
    void readsDataWrittenWithEveryReleasedSchema() {
        for (Schema released : SchemaHistory.released("EmbeddingRecord")) {
            // Write with the released schema as a generic record, as an old producer would have (fields by name;
            // a field the current schema lacks gets its default).
            GenericRecord current = toGeneric(TestRecords.minimal(4));
            GenericRecord old = new GenericData.Record(released);
            for (Schema.Field field : released.getFields()) {
                boolean kept = current.hasField(field.name());
                old.put(field.name(), kept ? current.get(field.name()) : GenericData.get().getDefaultValue(field));
            }
            byte[] bytes = encode(released, old);
            assertEquals("doc-4", deserializer.deserialize("embeddings", bytes).getId());
        }
    }

    @Test
    void unknownFingerprintIsADecodeError() {
        Schema unknown = new Schema.Parser().parse(
                "{\"type\":\"record\",\"name\":\"EmbeddingRecord\",\"namespace\":\"elsewhere\",\"fields\":[{\"name\":\"x\",\"type\":\"int\"}]}");
        GenericRecord record = new GenericData.Record(unknown);
        record.put("x", 1);
        DecodeException e = assertThrows(DecodeException.class, () -> deserializer.deserialize("embeddings", encode(unknown, record)));
        assertEquals(Reason.UNKNOWN_SCHEMA, e.reason());
    }

    @Test
    void truncatedBodyIsMalformed() {
        byte[] bytes = new SingleObjectSerializer<>(EmbeddingRecord.class).serialize("embeddings", TestRecords.full(5));
        DecodeException e = assertThrows(DecodeException.class,
                () -> deserializer.deserialize("embeddings", Arrays.copyOf(bytes, 40)));
        assertEquals(Reason.MALFORMED_AVRO, e.reason());
    }

    @Test
    void hugeLengthPrefixIsMalformedNotAnOutOfMemoryError() {
        byte[] header = Arrays.copyOf(new SingleObjectSerializer<>(EmbeddingRecord.class)
                .serialize("embeddings", TestRecords.minimal(6)), 10);
        // id string claiming ~1 GiB (zig-zag varint), followed by nothing
        byte[] bytes = Arrays.copyOf(header, 15);
        bytes[10] = (byte) 0x80; bytes[11] = (byte) 0x80; bytes[12] = (byte) 0x80; bytes[13] = (byte) 0x80; bytes[14] = 0x08;
        assertRejectedCheaply(bytes);
    }

    @Test
    void hugeArrayCountIsMalformedNotAnOutOfMemoryError() {
        byte[] header = Arrays.copyOf(new SingleObjectSerializer<>(EmbeddingRecord.class)
                .serialize("embeddings", TestRecords.minimal(7)), 10);
        // id "a", then a vector block claiming ~1 billion floats, followed by nothing
        byte[] bytes = Arrays.copyOf(header, 17);
        bytes[10] = 2; bytes[11] = 'a';
        bytes[12] = (byte) 0x80; bytes[13] = (byte) 0x80; bytes[14] = (byte) 0x80; bytes[15] = (byte) 0x80; bytes[16] = 0x08;
        assertRejectedCheaply(bytes);
    }

    /** Malformed, and found out without allocating what the corrupt length prefix claims. */
    private void assertRejectedCheaply(byte[] bytes) {
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        DecodeException e = assertThrows(DecodeException.class, () -> deserializer.deserialize("embeddings", bytes));
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertEquals(Reason.MALFORMED_AVRO, e.reason());
        assertTrue(allocated < 16 << 20, "allocated " + allocated + " bytes");
    }

    @Test
    void trailingBytesAreMalformed() {
        byte[] bytes = new SingleObjectSerializer<>(EmbeddingRecord.class).serialize("embeddings", TestRecords.minimal(8));
        DecodeException e = assertThrows(DecodeException.class,
                () -> deserializer.deserialize("embeddings", Arrays.copyOf(bytes, bytes.length + 2)));
        assertEquals(Reason.MALFORMED_AVRO, e.reason());
    }

    @Test
    void bytesInNeitherFramingAreRejected() {
        DecodeException e = assertThrows(DecodeException.class,
                () -> deserializer.deserialize("embeddings", "{\"id\":1}".getBytes()));
        assertEquals(Reason.UNKNOWN_FRAMING, e.reason());
        assertEquals(Reason.NULL_VALUE, assertThrows(DecodeException.class, () -> deserializer.deserialize("embeddings", null)).reason());
    }

    private static GenericRecord toGeneric(EmbeddingRecord record) {
        // Through the wire: the generic form has plain longs for timestamps, as an old writer would.
        byte[] bytes = new SingleObjectSerializer<>(EmbeddingRecord.class).serialize("t", record);
        try {
            return new org.apache.avro.message.BinaryMessageDecoder<GenericRecord>(GenericData.get(), EmbeddingRecord.getClassSchema())
                    .decode(bytes);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static byte[] encode(Schema schema, GenericRecord record) {
        try {
            ByteBuffer buffer = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), schema).encode(record);
            byte[] bytes = new byte[buffer.remaining()];
            buffer.get(bytes);
            return bytes;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
