package io.bertstream.serde;

import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serializer;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Writes records in Avro's single-object encoding (0xC3 0x01, CRC-64-AVRO fingerprint of the writer schema,
 * Avro binary): self-identifying without a registry, since readers hold the schemas in this jar.
 */
public final class SingleObjectSerializer<T extends SpecificRecord> implements Serializer<T> {

    private final BinaryMessageEncoder<T> encoder;

    public SingleObjectSerializer(Class<T> type) {
        SpecificData model = SpecificData.getForClass(type);
        this.encoder = new BinaryMessageEncoder<>(model, model.getSchema(type));
    }

    @Override
    public byte[] serialize(String topic, T record) {
        if (record == null) {
            return null;
        }
        try {
            ByteBuffer buffer = encoder.encode(record);
            byte[] bytes = new byte[buffer.remaining()];
            buffer.get(bytes);
            return bytes;
        } catch (IOException | RuntimeException e) {
            throw new SerializationException("Could not write " + record.getSchema().getFullName() + " as Avro", e);
        }
    }
}
