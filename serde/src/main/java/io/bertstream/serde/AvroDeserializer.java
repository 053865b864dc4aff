package io.bertstream.serde;

import io.bertstream.avro.SchemaHistory;
import io.bertstream.serde.DecodeException.Reason;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.SchemaStore;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reads records in either Avro framing, told apart by the first bytes: schema-registry (writer schema
 * fetched by id) or single-object (writer schema found by fingerprint among this jar's current and
 * {@link SchemaHistory released} schemas). Data written with an older schema is resolved to the current
 * one. Every failure is a {@link DecodeException} with its reason.
 */
public final class AvroDeserializer<T extends SpecificRecord> implements Deserializer<T> {

    private final SpecificData model;
    private final Schema readerSchema;
    private final RegistryClient registry;
    private final SchemaStore.Cache knownSchemas = new SchemaStore.Cache();
    private final BinaryMessageDecoder<T> singleObjectDecoder;
    private final Map<Integer, WriterAndReader<T>> readersBySchemaId = new ConcurrentHashMap<>();

    private record WriterAndReader<T>(Schema writerSchema, SpecificDatumReader<T> reader) {
    }

    /**
     * @param registry the registry to look schema ids up in; null when none is configured (registry-framed
     *                 input is then rejected with {@link Reason#UNKNOWN_SCHEMA})
     */
    public AvroDeserializer(Class<T> type, RegistryClient registry) {
        this.model = SpecificData.getForClass(type);
        this.readerSchema = model.getSchema(type);
        this.registry = registry;
        knownSchemas.addSchema(readerSchema);
        SchemaHistory.released(readerSchema.getName()).forEach(knownSchemas::addSchema);
        this.singleObjectDecoder = new BinaryMessageDecoder<>(model, readerSchema, knownSchemas);
    }

    @Override
    public T deserialize(String topic, byte[] bytes) {
        if (bytes == null) {
            throw new DecodeException(Reason.NULL_VALUE, "Null value on " + topic);
        }
        AvroFraming framing = AvroFraming.detect(bytes);
        if (framing == null) {
            throw new DecodeException(Reason.UNKNOWN_FRAMING,
                    "Not Avro: starts with neither 0x00 (schema registry) nor 0xC3 0x01 (single object)");
        }
        return framing == AvroFraming.REGISTRY ? readRegistryFramed(bytes) : readSingleObject(bytes);
    }

    private T readSingleObject(byte[] bytes) {
        long fingerprint = ByteBuffer.wrap(bytes, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        Schema writerSchema = knownSchemas.findByFingerprint(fingerprint);
        if (writerSchema == null) {
            throw new DecodeException(Reason.UNKNOWN_SCHEMA, "Single-object fingerprint " + Long.toHexString(fingerprint)
                    + " matches no current or released " + readerSchema.getName() + " schema");
        }
        checkWellFormed(writerSchema, bytes, AvroFraming.SINGLE_OBJECT_HEADER_LENGTH);
        try {
            return singleObjectDecoder.decode(bytes);
        } catch (IOException | RuntimeException e) {
            throw malformed(e);
        }
    }

    private T readRegistryFramed(byte[] bytes) {
        int schemaId = ByteBuffer.wrap(bytes, 1, 4).getInt();
        WriterAndReader<T> resolved = readersBySchemaId.get(schemaId);
        if (resolved == null) {
            // Not computeIfAbsent: the registry call must not run under the map's lock.
            resolved = readerFor(schemaId);
            readersBySchemaId.putIfAbsent(schemaId, resolved);
        }
        checkWellFormed(resolved.writerSchema(), bytes, AvroFraming.REGISTRY_HEADER_LENGTH);
        try {
            BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(bytes, AvroFraming.REGISTRY_HEADER_LENGTH,
                    bytes.length - AvroFraming.REGISTRY_HEADER_LENGTH, null);
            return resolved.reader().read(null, decoder);
        } catch (IOException | RuntimeException e) {
            throw malformed(e);
        }
    }

    /**
     * Walks the body once without building anything, so that a corrupt length prefix fails here with an
     * end-of-input error instead of making Avro allocate gigabytes; also rejects trailing bytes.
     */
    private void checkWellFormed(Schema writerSchema, byte[] bytes, int offset) {
        try {
            BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(bytes, offset, bytes.length - offset, null);
            GenericDatumReader.skip(writerSchema, decoder);
            if (!decoder.isEnd()) {
                throw new IOException("trailing bytes after the record");
            }
        } catch (IOException | RuntimeException e) {
            throw malformed(e);
        }
    }

    private DecodeException malformed(Exception e) {
        return new DecodeException(Reason.MALFORMED_AVRO, "Malformed Avro " + readerSchema.getName() + ": " + e, e);
    }

    private WriterAndReader<T> readerFor(int schemaId) {
        if (registry == null) {
            throw new DecodeException(Reason.UNKNOWN_SCHEMA,
                    "Schema-registry framed input (schema id " + schemaId + ") but no schema registry is configured");
        }
        Schema writerSchema;
        try {
            writerSchema = registry.schemaById(schemaId);
        } catch (RegistryException e) {
            throw e.notFound()
                    ? new DecodeException(Reason.UNKNOWN_SCHEMA, "Schema id " + schemaId + " is unknown to the registry", e)
                    : new DecodeException(Reason.REGISTRY_UNAVAILABLE, e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new DecodeException(Reason.REGISTRY_UNAVAILABLE, "Bad registry answer for schema id " + schemaId + ": " + e, e);
        }
        var compatibility = SchemaCompatibility.checkReaderWriterCompatibility(readerSchema, writerSchema);
        if (compatibility.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
            throw new DecodeException(Reason.INCOMPATIBLE_SCHEMA, "Schema id " + schemaId + " (" + writerSchema.getFullName()
                    + ") cannot be read as " + readerSchema.getFullName() + ": " + compatibility.getResult().getIncompatibilities());
        }
        return new WriterAndReader<>(writerSchema, new SpecificDatumReader<>(writerSchema, readerSchema, model));
    }
}
