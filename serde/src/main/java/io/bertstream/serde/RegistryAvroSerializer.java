package io.bertstream.serde;

import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serializer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;

/**
 * Writes records in the Confluent Schema Registry wire format (magic byte 0, 4-byte big-endian schema id,
 * Avro binary), registering the record's schema under {@code <topic>-value} (or {@code <topic>-key} when
 * configured as a key serializer): the TopicNameStrategy every registry-aware converter expects.
 */
public final class RegistryAvroSerializer<T extends SpecificRecord> implements Serializer<T> {

    private final RegistryClient registry;
    private final DatumWriter<T> writer;
    private String subjectSuffix = "-value";

    public RegistryAvroSerializer(Class<T> type, RegistryClient registry) {
        this.registry = registry;
        SpecificData model = SpecificData.getForClass(type);
        this.writer = new SpecificDatumWriter<>(model.getSchema(type), model);
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        subjectSuffix = isKey ? "-key" : "-value";
    }

    @Override
    public byte[] serialize(String topic, T record) {
        if (record == null) {
            return null;
        }
        int schemaId;
        try {
            schemaId = registry.register(topic + subjectSuffix, record.getSchema());
        } catch (RegistryException e) {
            throw new SerializationException("Could not register the schema of " + record.getSchema().getFullName()
                    + " for topic " + topic, e);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        out.write(AvroFraming.REGISTRY_MAGIC);
        out.writeBytes(ByteBuffer.allocate(4).putInt(schemaId).array());
        try {
            BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
            writer.write(record, encoder);
            encoder.flush();
        } catch (IOException | RuntimeException e) {
            throw new SerializationException("Could not write " + record.getSchema().getFullName() + " as Avro", e);
        }
        return out.toByteArray();
    }
}
