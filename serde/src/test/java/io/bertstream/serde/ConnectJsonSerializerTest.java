package io.bertstream.serde;

import io.bertstream.avro.EmbeddingRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.data.Timestamp;
import org.apache.kafka.connect.json.JsonConverter;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What Kafka Connect's own JsonConverter makes of the CONNECT_JSON output (the worker test runs it end to end). */
class ConnectJsonSerializerTest {

    private final JsonConverter converter = new JsonConverter();

    {
        converter.configure(Map.of("schemas.enable", "true"), false);
    }

    private Struct convert(EmbeddingRecord record) {
        byte[] bytes = OutputFormat.CONNECT_JSON.serializer(Map.of()).serialize("embeddings", record);
        SchemaAndValue converted = converter.toConnectData("embeddings", bytes);
        return (Struct) converted.value();
    }

    @Test
    void vectorIsAnArrayOfFloat32WithTheRecordsValues() {
        EmbeddingRecord record = TestRecords.full(1);
        Struct struct = convert(record);
        Schema vector = struct.schema().field("vector").schema();
        assertEquals(Schema.Type.ARRAY, vector.type());
        assertEquals(Schema.Type.FLOAT32, vector.valueSchema().type());
        assertEquals(record.getVector(), struct.getArray("vector"));
        assertEquals(384, struct.getInt32("dims"));
        assertEquals("io.bertstream.avro.EmbeddingRecord", struct.schema().name());
    }

    @Test
    void nestedRecordsTimestampsAndMapsKeepTheirTypes() {
        EmbeddingRecord record = TestRecords.full(2);
        Struct struct = convert(record);
        assertEquals(Timestamp.SCHEMA.name(), struct.schema().field("created_at").schema().name());
        assertEquals(new Date(record.getCreatedAt().toEpochMilli()), struct.get("created_at"));
        Struct model = struct.getStruct("model");
        assertEquals("all-minilm-l6-v2", model.getString("name"));
        assertEquals(true, model.getBoolean("normalized"));
        assertEquals(0.0078f, model.getStruct("quantization").getFloat32("scale"));
        Struct chunk = struct.getStruct("chunk");
        assertEquals(List.of(1, 3, 120, 245), List.of(chunk.getInt32("index"), chunk.getInt32("count"),
                chunk.getInt32("char_start"), chunk.getInt32("char_end")));
        assertEquals(41L, struct.getStruct("source").getInt64("offset"));
        List<Struct> tokens = struct.getArray("tokens");
        assertEquals("##dings", tokens.get(1).getString("token"));
        assertEquals(Schema.Type.FLOAT32, struct.schema().field("tokens").schema().valueSchema().field("vector").schema().valueSchema().type());
        assertEquals(record.getMetadata(), struct.getMap("metadata"));
        assertEquals(record.getText(), struct.getString("text"));
    }

    @Test
    void nonFiniteNumbersAreASerializationErrorNotInvalidJson() {
        EmbeddingRecord record = TestRecords.minimal(4);
        List<Float> vector = new ArrayList<>(record.getVector());
        vector.set(5, Float.NaN);
        record.setVector(vector);
        var serializer = OutputFormat.CONNECT_JSON.serializer(Map.of());
        assertThrows(SerializationException.class,
                () -> serializer.serialize("embeddings", record));
    }

    @Test
    void nullableUnionsBecomeOptionalFieldsThatMayBeNull() {
        Struct struct = convert(TestRecords.minimal(3));
        assertTrue(struct.schema().field("chunk").schema().isOptional());
        assertTrue(struct.schema().field("text").schema().isOptional());
        assertTrue(!struct.schema().field("vector").schema().isOptional());
        assertNull(struct.get("chunk"));
        assertNull(struct.get("tokens"));
        assertNull(struct.getStruct("model").get("quantization"));
        assertNull(struct.getStruct("source").get("timestamp"));
    }
}
